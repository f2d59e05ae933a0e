// The benchmark corpus (bench/corpus): deterministic by seed, Zipf-shaped, and the analysis step
// counts what the text holds.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "corpus/corpus.hpp"

namespace {

using pgfast_bench::Corpus;
using pgfast_bench::CorpusSize;

CorpusSize small() {
  return CorpusSize::scaled(0.05);
}

TEST(Corpus, SameSeedSameRowsInAnyOrder) {
  Corpus a(7, small()), b(7, small());
  EXPECT_EQ(a.page(123).content, b.page(123).content);
  (void)b.page(5);  // generating other rows first changes nothing
  EXPECT_EQ(a.page(7).content, b.page(7).content);
  EXPECT_EQ(a.query(3).query_text, b.query(3).query_text);
  EXPECT_EQ(a.results(3).front().url, b.results(3).front().url);
}

TEST(Corpus, OtherSeedOtherRows) {
  Corpus a(7, small()), b(8, small());
  EXPECT_NE(a.page(1).content, b.page(1).content);
}

TEST(Corpus, ResultsAreRankedDistinctPagesWhoseUrlsArePages) {
  Corpus c(1, small());
  auto results = c.results(0);
  ASSERT_EQ(results.size(), c.size().results_per_query);
  std::set<std::string> urls;
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].rank, static_cast<int>(i) + 1);
    EXPECT_EQ(results[i].url, c.page(results[i].page).url);
    EXPECT_EQ(results[i].domain, c.page(results[i].page).domain);
    urls.insert(results[i].url);
  }
  EXPECT_EQ(urls.size(), results.size());
}

TEST(Corpus, WordFrequenciesFallWithRank) {
  Corpus c(3, small());
  std::map<std::string, int> counts;
  for (std::size_t p = 0; p < 300; ++p) {
    std::istringstream words(c.page(p).content);
    for (std::string w; words >> w;) {
      if (w.back() == '.') w.pop_back();
      ++counts[w];
    }
  }
  // Zipf: the most frequent vocabulary word is far more common than the 100th.
  EXPECT_GT(counts[c.vocabulary().word(0)], 5 * counts[c.vocabulary().word(100)]);
}

TEST(Corpus, AnalysisCountsTheNounsOfTheText) {
  Corpus c(5, small());
  auto page = c.page(42);
  auto analysis = c.analyse(page);
  ASSERT_FALSE(analysis.nouns.empty());
  EXPECT_LE(analysis.nouns.size(), c.size().nouns_per_page);
  for (std::size_t i = 1; i < analysis.nouns.size(); ++i) {
    EXPECT_GE(analysis.nouns[i - 1].tfidf, analysis.nouns[i].tfidf);
  }
  const auto& top = analysis.nouns.front();
  int occurrences = 0;
  std::istringstream words(page.content);
  for (std::string w; words >> w;) {
    if (w.back() == '.') w.pop_back();
    occurrences += w == top.noun;
  }
  EXPECT_EQ(occurrences, top.frequency);
  std::set<std::string> entity_texts;
  for (const auto& e : page.mentioned) entity_texts.insert(e.text);
  EXPECT_EQ(analysis.entities.size(), entity_texts.size());  // one type per text in this corpus
}

TEST(Vocabulary, WordsAreDistinct) {
  pgfast_bench::Vocabulary v(20000);
  std::set<std::string> words;
  for (std::size_t i = 0; i < v.size(); ++i) words.insert(v.word(i));
  EXPECT_EQ(words.size(), v.size());
}

}  // namespace
