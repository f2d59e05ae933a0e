#include "vocabulary.hpp"

#include <cctype>
#include <iterator>
#include <unordered_set>

namespace pgfast_bench {
namespace {

// Research-pipeline nouns, roughly by how often such a corpus would use them.
const char* const kHeadNouns[] = {"data",          "research",
                                  "system",        "energy",
                                  "climate",       "policy",
                                  "market",        "network",
                                  "model",         "health",
                                  "water",         "government",
                                  "technology",    "study",
                                  "company",       "city",
                                  "security",      "education",
                                  "analysis",      "information",
                                  "development",   "science",
                                  "university",    "report",
                                  "service",       "software",
                                  "community",     "environment",
                                  "industry",      "power",
                                  "food",          "trade",
                                  "population",    "transport",
                                  "carbon",        "emission",
                                  "vaccine",       "infrastructure",
                                  "economy",       "election",
                                  "internet",      "privacy",
                                  "platform",      "content",
                                  "search",        "result",
                                  "website",       "article",
                                  "source",        "media",
                                  "journal",       "project",
                                  "program",       "budget",
                                  "price",         "cost",
                                  "investment",    "bank",
                                  "currency",      "inflation",
                                  "labor",         "worker",
                                  "wage",          "housing",
                                  "agriculture",   "forest",
                                  "ocean",         "river",
                                  "temperature",   "storm",
                                  "drought",       "flood",
                                  "battery",       "solar",
                                  "wind",          "nuclear",
                                  "oil",           "gas",
                                  "coal",          "electricity",
                                  "grid",          "vehicle",
                                  "engine",        "satellite",
                                  "space",         "rocket",
                                  "algorithm",     "intelligence",
                                  "robot",         "chip",
                                  "semiconductor", "cloud",
                                  "database",      "server",
                                  "protocol",      "language",
                                  "culture",       "history",
                                  "museum",        "music",
                                  "film",          "book",
                                  "author",        "reader",
                                  "student",       "teacher",
                                  "school",        "hospital",
                                  "patient",       "doctor",
                                  "disease",       "treatment",
                                  "drug",          "trial",
                                  "gene",          "cell",
                                  "protein",       "brain",
                                  "memory",        "sleep",
                                  "diet",          "exercise",
                                  "sport",         "team",
                                  "league",        "festival",
                                  "tourism",       "airport",
                                  "railway",       "highway",
                                  "bridge",        "port",
                                  "ship",          "border",
                                  "migration",     "refugee",
                                  "court",         "law",
                                  "regulation",    "tax",
                                  "reform",        "parliament",
                                  "minister",      "party",
                                  "campaign",      "vote",
                                  "protest",       "rights",
                                  "justice",       "police",
                                  "crime",         "prison",
                                  "army",          "defense",
                                  "conflict",      "treaty",
                                  "alliance",      "summit",
                                  "agreement",     "sanction",
                                  "export",        "import",
                                  "supply",        "demand",
                                  "factory",       "product",
                                  "consumer",      "retail",
                                  "brand",         "advertising",
                                  "startup",       "founder",
                                  "investor",      "capital",
                                  "fund",          "insurance",
                                  "risk",          "crisis",
                                  "recovery",      "growth",
                                  "recession",     "debt",
                                  "deficit",       "pension",
                                  "welfare",       "poverty",
                                  "inequality",    "income",
                                  "family",        "child",
                                  "youth",         "village",
                                  "region",        "province",
                                  "country",       "continent",
                                  "island",        "mountain",
                                  "desert",        "species",
                                  "biodiversity",  "wildlife",
                                  "habitat",       "pollution",
                                  "waste",         "plastic",
                                  "recycling",     "soil",
                                  "crop",          "harvest",
                                  "fishery",       "livestock",
                                  "nutrition",     "hunger",
                                  "pandemic",      "outbreak",
                                  "mortality",     "survey",
                                  "census",        "statistics",
                                  "indicator",     "index",
                                  "ranking",       "evaluation",
                                  "framework",     "strategy",
                                  "innovation",    "patent",
                                  "license"};

const char* const kFunctionWords[] = {
    "the", "of",   "and", "in",  "to",   "a",   "for",   "is",      "on",    "with", "that", "by",
    "as",  "from", "at",  "new", "more", "its", "their", "between", "after", "over", "under"};

const char* const kOnsets[] = {"b", "c", "d", "f",  "g",  "k",  "l",  "m",  "n",  "p",  "r",  "s",
                               "t", "v", "z", "br", "ch", "dr", "gr", "pl", "st", "tr", "sh", "th"};
const char* const kVowels[] = {"a", "e", "i", "o", "u", "ai", "ea", "io", "ou"};
const char* const kCodas[] = {"", "n", "r", "l", "s", "m", "x", "nd", "st", "rk"};

const char* const kFirstNames[] = {
    "Ada",     "Alan", "Grace",  "Linus",     "Marie",   "Niels",    "Rosalind", "Carl",
    "Emmy",    "Kurt", "Lise",   "Max",       "Barbara", "Claude",   "Donald",   "Edsger",
    "Frances", "Hedy", "John",   "Katherine", "Leslie",  "Margaret", "Tim",      "Vint",
    "Yoshua",  "Fei",  "Andrew", "Daphne",    "Jeff",    "Sophie"};
const char* const kLastNames[] = {
    "Lovelace", "Turing", "Hopper",   "Pauling", "Curie",   "Bohr",     "Franklin",    "Sagan",
    "Noether",  "Goedel", "Meitner",  "Planck",  "Liskov",  "Shannon",  "Knuth",       "Dijkstra",
    "Allen",    "Lamarr", "McCarthy", "Johnson", "Lamport", "Hamilton", "Berners-Lee", "Cerf",
    "Bengio",   "Li",     "Ng",       "Koller",  "Dean",    "Wilson"};
const char* const kOrgSuffixes[] = {"Institute",  "University", "Labs",    "Corporation",
                                    "Foundation", "Agency",     "Council", "Group"};
const char* const kPlaces[] = {
    "London", "Paris",  "Berlin",  "Tokyo",   "Nairobi", "Lagos",      "Lima",    "Toronto",
    "Sydney", "Mumbai", "Jakarta", "Cairo",   "Madrid",  "Rome",       "Vienna",  "Oslo",
    "Seoul",  "Manila", "Bogota",  "Chicago", "Texas",   "California", "Bavaria", "Kenya",
    "Brazil", "Canada", "Japan",   "India",   "Germany", "France",     "Europe",  "Asia",
    "Africa", "Arctic", "Amazon",  "Pacific", "Sahara",  "Andes"};
const char* const kProductSuffixes[] = {"Pro", "One", "X", "Max", "Lite", "Cloud"};
const char* const kEventWords[] = {"Summit", "Conference", "Olympics", "Expo", "Forum", "Accord"};
const char* const kTlds[] = {".com", ".org", ".net", ".io", ".edu", ".gov", ".co.uk", ".de"};

template <class T, std::size_t N>
constexpr std::size_t count_of(T (&)[N]) {
  return N;
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

std::string synthetic_word(std::size_t n) {
  // Two or three syllables, chosen by the digits of n in mixed radix; distinct n → distinct words
  // because the digit sequence (and its length marker, the coda) is recoverable.
  std::string word;
  std::size_t syllables = 2 + n % 2;
  n /= 2;
  for (std::size_t i = 0; i < syllables; ++i) {
    word += kOnsets[n % count_of(kOnsets)];
    n /= count_of(kOnsets);
    word += kVowels[n % count_of(kVowels)];
    n /= count_of(kVowels);
  }
  word += kCodas[n % count_of(kCodas)];
  n /= count_of(kCodas);
  while (n > 0) {  // beyond the first ~2M words: more syllables
    word += kOnsets[n % count_of(kOnsets)];
    n /= count_of(kOnsets);
    word += "o";
  }
  return word;
}

Vocabulary::Vocabulary(std::size_t size) {
  std::unordered_set<std::string> seen;
  for (const char* w : kHeadNouns) {
    if (words_.size() == size) break;
    if (seen.insert(w).second) words_.emplace_back(w);
  }
  for (const char* w : kFunctionWords) seen.insert(w);
  for (std::size_t n = 0; words_.size() < size; ++n) {
    std::string w = synthetic_word(n);
    if (seen.insert(w).second) words_.push_back(std::move(w));
  }
  function_words_.assign(std::begin(kFunctionWords), std::end(kFunctionWords));
}

Vocabulary::Entity Vocabulary::entity(std::size_t rank) const {
  // Types interleave so every type has popular members.
  switch (rank % 5) {
    case 0:
      return {std::string(kFirstNames[(rank / 5) % count_of(kFirstNames)]) + " " +
                  kLastNames[(rank / 5 / count_of(kFirstNames)) % count_of(kLastNames)],
              "PERSON"};
    case 1:
      return {capitalized(words_[(rank / 5) % words_.size()]) + " " +
                  kOrgSuffixes[(rank / 5) % count_of(kOrgSuffixes)],
              "ORG"};
    case 2:
      if (rank / 5 < count_of(kPlaces)) return {kPlaces[rank / 5], "GPE"};
      return {capitalized(synthetic_word(rank)) + "ia", "GPE"};
    case 3:
      return {capitalized(synthetic_word(rank)) + " " +
                  kProductSuffixes[(rank / 5) % count_of(kProductSuffixes)],
              "PRODUCT"};
    default:
      return {capitalized(words_[(rank / 5) % words_.size()]) + " " +
                  kEventWords[(rank / 5) % count_of(kEventWords)] + " " +
                  std::to_string(2020 + (rank / 5) % 7),
              "EVENT"};
  }
}

std::string Vocabulary::domain(std::size_t rank) const {
  return words_[rank % words_.size()] + "-" + synthetic_word(rank) + kTlds[rank % count_of(kTlds)];
}

}  // namespace pgfast_bench
