// The corpus's vocabulary: a head of real English nouns (so searches like "climate" or "energy"
// mean something to a reader) followed by pronounceable synthetic words, ranked for Zipf sampling;
// function words to glue sentences; and entity names (people, organisations, places, products,
// events). Everything is derived from indexes, not from a random source, so it is identical on
// every run and machine.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pgfast_bench {

class Vocabulary {
 public:
  explicit Vocabulary(std::size_t size);

  // Word of frequency rank `rank` (0 = most frequent); every word is a noun candidate.
  const std::string& word(std::size_t rank) const { return words_[rank]; }
  std::size_t size() const { return words_.size(); }

  // Short words ("the", "of", ...) placed between nouns; never extracted as nouns.
  const std::vector<std::string>& function_words() const { return function_words_; }

  struct Entity {
    std::string text;
    const char* type;  // PERSON, ORG, GPE, PRODUCT, EVENT
  };
  // Entity of popularity rank `rank`, for any rank (names are composed, so the set is unbounded).
  Entity entity(std::size_t rank) const;

  // A domain name of popularity rank `rank`.
  std::string domain(std::size_t rank) const;

 private:
  std::vector<std::string> words_;
  std::vector<std::string> function_words_;
};

// A pronounceable synthetic word for `n` (distinct n give distinct words).
std::string synthetic_word(std::size_t n);

}  // namespace pgfast_bench
