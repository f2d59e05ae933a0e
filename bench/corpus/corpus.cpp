#include "corpus.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <unordered_map>

namespace pgfast_bench {
namespace {

// splitmix64: turns (seed, kind, index) into independent, well-mixed generator seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

enum Kind : std::uint64_t { kSession = 1, kQuery, kResults, kPage, kTerms };

constexpr double kContentTokensPerPage = 180;  // for expected document frequencies
constexpr double kTopicShare = 0.25;           // share of content tokens drawn from page topics

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

Micros timestamp(std::mt19937_64& rng) {
  return kCorpusEpoch + std::uniform_int_distribution<Micros>(0, kCorpusSpan - 1)(rng);
}

}  // namespace

CorpusSize CorpusSize::scaled(double scale) {
  CorpusSize s;
  auto times = [scale](std::size_t n) {
    return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(n * scale)));
  };
  s.users = times(s.users);
  s.sessions = times(s.sessions);
  s.pages = times(s.pages);
  s.domains = times(s.domains);
  s.vocabulary = std::max<std::size_t>(
      2000, static_cast<std::size_t>(std::llround(s.vocabulary * std::sqrt(scale))));
  return s;
}

Corpus::Corpus(std::uint64_t seed, CorpusSize size)
    : seed_(seed),
      size_(size),
      vocabulary_(size.vocabulary),
      words_(size.vocabulary, 1.07),
      topics_(size.vocabulary, 0.6),
      domains_(size.domains, 0.9),
      pages_(size.pages, 0.6),
      entities_(std::max<std::size_t>(500, size.pages / 4), 1.0) {
  idf_by_rank_.resize(size.vocabulary);
  for (std::size_t k = 0; k < vocabulary_.size(); ++k) rank_of_.emplace(vocabulary_.word(k), k);
  for (std::size_t k = 0; k < size.vocabulary; ++k) {
    double p = (1 - kTopicShare) * words_.probability(k) + kTopicShare * 5 * topics_.probability(k);
    double df = 1 - std::exp(-kContentTokensPerPage * p);
    idf_by_rank_[k] = std::log(1 + 1 / std::max(df, 1e-9));
  }
}

std::uint64_t Corpus::seed_for(std::uint64_t kind, std::uint64_t index) const {
  return mix(seed_ ^ mix(kind * 0x100000001b3ULL ^ mix(index)));
}

SessionRow Corpus::session(std::size_t index) const {
  std::mt19937_64 rng(seed_for(kSession, index));
  SessionRow s;
  s.id = static_cast<std::int64_t>(index) + 1;
  s.user_id = static_cast<std::int64_t>(index % size_.users) + 1;
  std::string topic = vocabulary_.word(topics_(rng));
  s.name = capitalized(topic) + " research " + std::to_string(index + 1);
  s.description = "Sources on " + topic + " and " + vocabulary_.word(topics_(rng)) + " for " +
                  vocabulary_.entity(entities_(rng)).text;
  s.status = rng() % 10 == 0 ? "archived" : "active";
  s.created_at = timestamp(rng);
  return s;
}

QueryRow Corpus::query(std::size_t index) const {
  std::mt19937_64 rng(seed_for(kQuery, index));
  QueryRow q;
  q.id = static_cast<std::int64_t>(index) + 1;
  q.session_id = static_cast<std::int64_t>(index / size_.queries_per_session) + 1;
  q.query_text = search_terms(rng());
  q.created_at = timestamp(rng);
  return q;
}

std::string Corpus::search_terms(std::uint64_t n) const {
  std::mt19937_64 rng(seed_for(kTerms, n));
  std::string terms = vocabulary_.word(words_(rng) % 2000);
  int extra = uniform_int(rng, 1, 2);
  for (int i = 0; i < extra; ++i) terms += " " + vocabulary_.word(topics_(rng) % 5000);
  return terms;
}

std::string Corpus::domain_of(std::size_t page) const {
  std::mt19937_64 rng(seed_for(kPage, page));
  return vocabulary_.domain(domains_(rng));
}

std::string Corpus::url(std::size_t page) const {
  std::mt19937_64 rng(seed_for(kPage, page));
  std::string domain = vocabulary_.domain(domains_(rng));
  return "https://" + domain + "/" + vocabulary_.word(topics_(rng)) + "/" + std::to_string(page);
}

std::vector<ResultRow> Corpus::results(std::size_t query_index) const {
  std::mt19937_64 rng(seed_for(kResults, query_index));
  std::vector<ResultRow> out;
  std::vector<std::size_t> chosen;
  // Half the results are popular pages (Zipf), half spread uniformly: popular sites recur across
  // queries, and every page gets found by some query.
  std::uniform_int_distribution<std::size_t> any_page(0, size_.pages - 1);
  for (std::size_t attempts = 0;
       chosen.size() < size_.results_per_query && attempts < size_.results_per_query * 20;
       ++attempts) {
    std::size_t page = rng() % 2 ? pages_(rng) : any_page(rng);
    if (std::find(chosen.begin(), chosen.end(), page) == chosen.end()) chosen.push_back(page);
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    ResultRow r;
    r.query_id = static_cast<std::int64_t>(query_index) + 1;
    r.page = chosen[i];
    r.url = url(chosen[i]);
    r.domain = domain_of(chosen[i]);
    std::string a = vocabulary_.word(topics_(rng)), b = vocabulary_.word(words_(rng));
    r.title =
        capitalized(a) + " and " + b + ": what the " + vocabulary_.word(words_(rng)) + " shows";
    r.snippet = "New " + a + " figures on " + b + " from " + r.domain + " and the " +
                vocabulary_.word(topics_(rng)) + " report.";
    r.rank = static_cast<int>(i) + 1;
    out.push_back(std::move(r));
  }
  return out;
}

PageRow Corpus::page(std::size_t index) const {
  std::mt19937_64 rng(seed_for(kPage, index));
  PageRow p;
  p.index = index;
  std::size_t domain_rank = domains_(rng);
  p.domain = vocabulary_.domain(domain_rank);
  std::string path_word = vocabulary_.word(topics_(rng));
  p.url = "https://" + p.domain + "/" + path_word + "/" + std::to_string(index);

  // Topic words: what this page is about; drawn more often than their global frequency says.
  std::vector<std::size_t> topic(5);
  for (auto& t : topic) t = topics_(rng);
  std::vector<std::size_t> page_entities(3);
  for (auto& e : page_entities) e = entities_(rng);

  p.title = capitalized(vocabulary_.word(topic[0])) + " and " + vocabulary_.word(topic[1]) +
            " in " + vocabulary_.entity(page_entities[0]).text;
  const auto& glue = vocabulary_.function_words();
  int sentences = uniform_int(rng, 8, 30);
  int words = 0;
  std::string& text = p.content;
  text.reserve(static_cast<std::size_t>(sentences) * 110);
  for (int s = 0; s < sentences; ++s) {
    int length = uniform_int(rng, 8, 18);
    for (int w = 0; w < length; ++w) {
      std::string token;
      unsigned roll = static_cast<unsigned>(rng() % 100);
      if (roll < 38) {
        token = glue[rng() % glue.size()];
      } else if (roll < 41) {
        Vocabulary::Entity e =
            vocabulary_.entity(rng() % 2 ? page_entities[rng() % 3] : entities_(rng));
        token = e.text;
        p.mentioned.push_back(std::move(e));
      } else if (roll < 41 + static_cast<unsigned>(59 * kTopicShare)) {
        token = vocabulary_.word(topic[rng() % topic.size()]);
      } else {
        token = vocabulary_.word(words_(rng));
      }
      if (w == 0) token = capitalized(token);
      if (!text.empty()) text += ' ';
      text += token;
      ++words;
    }
    text += '.';
  }
  p.word_count = words;
  p.status_code = rng() % 50 == 0 ? 404 : 200;
  p.scraped_at = timestamp(rng);
  return p;
}

double Corpus::idf(const std::string& word) const {
  auto it = rank_of_.find(word);
  return it == rank_of_.end() ? idf_by_rank_.back() : idf_by_rank_[it->second];
}

PageAnalysis Corpus::analyse(const PageRow& page) const {
  PageAnalysis a;
  // Entities first: their text is removed from the noun count, as a NER pass would claim it.
  std::map<std::pair<std::string, std::string>, int> entity_counts;
  for (const auto& e : page.mentioned) ++entity_counts[{e.text, e.type}];
  for (const auto& [key, count] : entity_counts) {
    a.entities.push_back({key.first, key.second, count, std::min(0.99, 0.6 + 0.08 * count)});
  }

  std::unordered_map<std::string, int> counts;
  const auto& glue = vocabulary_.function_words();
  std::size_t total = 0;
  std::size_t start = 0;
  const std::string& text = page.content;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" .", start);
    if (end == std::string::npos) end = text.size();
    if (end > start) {
      // Capitalised tokens (sentence starts, entity names) are left to the entity pass.
      std::string token = text.substr(start, end - start);
      bool lower = token[0] >= 'a' && token[0] <= 'z';
      if (lower && std::find(glue.begin(), glue.end(), token) == glue.end()) {
        ++counts[token];
        ++total;
      }
    }
    start = end + 1;
  }
  for (const auto& [word, count] : counts) {
    double tf = static_cast<double>(count) / static_cast<double>(std::max<std::size_t>(total, 1));
    a.nouns.push_back({word, count, tf * idf(word)});
  }
  std::sort(a.nouns.begin(), a.nouns.end(), [](const NounRow& x, const NounRow& y) {
    return x.tfidf != y.tfidf ? x.tfidf > y.tfidf : x.noun < y.noun;
  });
  if (a.nouns.size() > size_.nouns_per_page) a.nouns.resize(size_.nouns_per_page);
  return a;
}

}  // namespace pgfast_bench
