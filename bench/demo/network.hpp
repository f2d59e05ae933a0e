// Network generation, as the reference application's users ran it: a website–noun co-occurrence
// network of `nodes` nodes (the most productive sites and the nouns that weigh most across them),
// aggregated in SQL on the indexed tables and written as GEXF 1.3 (opens in Gephi).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pgfast/db/database.hpp"

namespace pgfast_demo {

struct NetworkNode {
  std::string id;  // "site:<domain>" or "noun:<noun>"
  std::string label;
  std::string kind;   // "website" | "noun"
  double weight = 0;  // pages (websites) or summed TF-IDF (nouns)
};

struct NetworkEdge {
  std::string source;  // a website node id
  std::string target;  // a noun node id
  double weight = 0;   // summed TF-IDF of the noun over the site's pages
  std::int64_t pages = 0;
};

struct Network {
  std::vector<NetworkNode> nodes;
  std::vector<NetworkEdge> edges;
};

// `sites` + `nouns` nodes: the sites with most pages, then the nouns with the highest summed
// TF-IDF over those sites' pages; edges between them.
Network build_network(pgfast::Database& db, int sites, int nouns);

// The network as a GEXF document.
std::string to_gexf(const Network& network, const std::string& description);

}  // namespace pgfast_demo
