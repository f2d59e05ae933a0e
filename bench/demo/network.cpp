#include "network.hpp"

#include <cstdio>

#include "report.hpp"

namespace pgfast_demo {
namespace {

// One statement: the aggregation stays in the server, next to the indexes
// (website_content (domain, ...), extracted_nouns (content_id, tfidf_score DESC)).
constexpr char kNetworkSql[] = R"sql(
WITH top_sites AS (
  SELECT domain, count(*) AS pages
  FROM website_content
  GROUP BY domain
  ORDER BY pages DESC, domain
  LIMIT $1
), site_nouns AS (
  SELECT w.domain, n.noun, sum(n.tfidf_score) AS weight, count(*) AS pages
  FROM top_sites s
  JOIN website_content w ON w.domain = s.domain
  JOIN extracted_nouns n ON n.content_id = w.id
  GROUP BY w.domain, n.noun
), top_nouns AS (
  SELECT noun, sum(weight) AS weight
  FROM site_nouns
  GROUP BY noun
  ORDER BY weight DESC, noun
  LIMIT $2
)
SELECT 'website' AS kind, domain AS a, NULL AS b, pages::float8 AS weight, pages AS pages
FROM top_sites
UNION ALL
SELECT 'noun', noun, NULL, weight, NULL FROM top_nouns
UNION ALL
SELECT 'edge', sn.domain, sn.noun, sn.weight, sn.pages
FROM site_nouns sn JOIN top_nouns t USING (noun)
)sql";

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

Network build_network(pgfast::Database& db, int sites, int nouns) {
  pgfast::Result r = db.query(kNetworkSql, pgfast::params(sites, nouns));
  Network n;
  for (int i = 0; i < r.rows(); ++i) {
    std::string kind(r.get(i, 0));
    std::string a(r.get(i, 1));
    if (kind == "website") {
      n.nodes.push_back({"site:" + a, a, kind, r.as<double>(i, 3)});
    } else if (kind == "noun") {
      n.nodes.push_back({"noun:" + a, a, kind, r.as<double>(i, 3)});
    } else {
      n.edges.push_back({"site:" + a, "noun:" + std::string(r.get(i, 2)), r.as<double>(i, 3),
                         r.as<std::int64_t>(i, 4)});
    }
  }
  return n;
}

std::string to_gexf(const Network& network, const std::string& description) {
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n";
  x += "  <meta><creator>pgfast demo</creator><description>" + xml_escape(description) +
       "</description></meta>\n";
  x += "  <graph mode=\"static\" defaultedgetype=\"undirected\">\n";
  x += "    <attributes class=\"node\"><attribute id=\"kind\" title=\"kind\" type=\"string\"/>"
       "<attribute id=\"weight\" title=\"weight\" type=\"double\"/></attributes>\n";
  x += "    <attributes class=\"edge\"><attribute id=\"pages\" title=\"pages\" "
       "type=\"long\"/></attributes>\n";
  x += "    <nodes>\n";
  for (const auto& node : network.nodes) {
    x += "      <node id=\"" + xml_escape(node.id) + "\" label=\"" + xml_escape(node.label) +
         "\"><attvalues><attvalue for=\"kind\" value=\"" + node.kind +
         "\"/><attvalue for=\"weight\" value=\"" + significant(node.weight) +
         "\"/></attvalues></node>\n";
  }
  x += "    </nodes>\n    <edges>\n";
  std::size_t id = 0;
  for (const auto& edge : network.edges) {
    x += "      <edge id=\"" + std::to_string(id++) + "\" source=\"" + xml_escape(edge.source) +
         "\" target=\"" + xml_escape(edge.target) + "\" weight=\"" + significant(edge.weight) +
         "\"><attvalues><attvalue for=\"pages\" value=\"" + std::to_string(edge.pages) +
         "\"/></attvalues></edge>\n";
  }
  x += "    </edges>\n  </graph>\n</gexf>\n";
  return x;
}

}  // namespace pgfast_demo
