// Redis Cluster error replies without a server: MOVED/ASK parsing (IPv4, IPv6, hostnames, an
// unknown endpoint), bad redirections, and the TRYAGAIN/CLUSTERDOWN/CROSSSLOT classification.
#include <gtest/gtest.h>

#include <string>

#include "redis/cluster_node_address.hpp"
#include "redis/cluster_redirect.hpp"
#include "pgfast/errors.hpp"

using pgfast::cluster::classify_cluster_error;
using pgfast::cluster::ClusterError;
using pgfast::cluster::NodeAddress;
using pgfast::cluster::parse_node_address;
using pgfast::cluster::parse_redirect;
using pgfast::cluster::retry_after_backoff;

namespace {

std::string redirect_error(const std::string& text) {
  try {
    parse_redirect(text);
  } catch (const pgfast::RedisError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for \"" << text << "\"";
  return {};
}

}  // namespace

TEST(ClusterRedirect, MovedFromTheSpec) {
  const auto r = parse_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ask);
  EXPECT_EQ(r->slot, 3999);
  EXPECT_EQ(r->node, (NodeAddress{"127.0.0.1", 6381}));
}

TEST(ClusterRedirect, AskFromTheSpec) {
  const auto r = parse_redirect("ASK 3999 127.0.0.1:6381");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ask);
  EXPECT_EQ(r->slot, 3999);
  EXPECT_EQ(r->node.to_string(), "127.0.0.1:6381");
}

TEST(ClusterRedirect, Ipv6HostnameAndUnknownEndpoint) {
  // Redis writes an IPv6 address without brackets: the port follows the last ':'.
  auto r = parse_redirect("MOVED 16383 2001:db8::1:7000");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->slot, 16383);
  EXPECT_EQ(r->node, (NodeAddress{"2001:db8::1", 7000}));
  EXPECT_EQ(r->node.to_string(), "[2001:db8::1]:7000");
  r = parse_redirect("ASK 0 ::1:6379");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->node, (NodeAddress{"::1", 6379}));
  r = parse_redirect("MOVED 12 [::1]:6379");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->node, (NodeAddress{"::1", 6379}));
  r = parse_redirect("MOVED 12 redis-2.example.com:6379");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->node, (NodeAddress{"redis-2.example.com", 6379}));
  // The spec's unknown endpoint: the same host as the node that answered, this port.
  r = parse_redirect("MOVED 3999 :6380");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->node, (NodeAddress{"", 6380}));
}

TEST(ClusterRedirect, OtherErrorsAreNoRedirect) {
  EXPECT_FALSE(parse_redirect("TRYAGAIN Multiple keys request during rehashing of slot"));
  EXPECT_FALSE(parse_redirect("CLUSTERDOWN Hash slot not served"));
  EXPECT_FALSE(parse_redirect("ERR unknown command"));
  EXPECT_FALSE(parse_redirect("MOVEDX 1 a:1"));
  EXPECT_FALSE(parse_redirect(""));
}

TEST(ClusterRedirect, MalformedRedirectionsAreErrorsNamingTheText) {
  for (const std::string text :
       {"MOVED", "MOVED 3999", "MOVED 3999 ", "MOVED x 127.0.0.1:6381", "MOVED -1 127.0.0.1:6381",
        "MOVED 16384 127.0.0.1:6381", "MOVED 3999 127.0.0.1",
        "MOVED 3999 127.0.0.1:", "MOVED 3999 127.0.0.1:0", "MOVED 3999 127.0.0.1:65536",
        "MOVED 3999 127.0.0.1:63a", "ASK 3999 127.0.0.1:6381 extra", "ASK  3999 127.0.0.1:6381",
        "ASK 3999 [::1:6381", "ASK 3999 [::1]x:6381"}) {
    const std::string message = redirect_error(text);
    EXPECT_NE(message.find("\"" + text + "\""), std::string::npos) << message;
  }
}

TEST(ClusterRedirect, NodeAddressParsing) {
  EXPECT_EQ(parse_node_address("10.0.0.5:6379", "test"), (NodeAddress{"10.0.0.5", 6379}));
  EXPECT_EQ(parse_node_address("fe80::1%eth0:1", "test"), (NodeAddress{"fe80::1%eth0", 1}));
  EXPECT_EQ((NodeAddress{"10.0.0.5", 65535}).to_string(), "10.0.0.5:65535");
  try {
    parse_node_address("nowhere", "seed node");
    FAIL() << "no error";
  } catch (const pgfast::RedisError& e) {
    EXPECT_STREQ(e.what(),
                 "seed node: \"nowhere\" is not a node address (host:port, port 1..65535)");
  }
}

TEST(ClusterRedirect, ClassifiesClusterErrors) {
  EXPECT_EQ(classify_cluster_error("MOVED 1 a:1"), ClusterError::moved);
  EXPECT_EQ(classify_cluster_error("ASK 1 a:1"), ClusterError::ask);
  EXPECT_EQ(classify_cluster_error("TRYAGAIN Multiple keys request during rehashing of slot"),
            ClusterError::try_again);
  EXPECT_EQ(classify_cluster_error("CLUSTERDOWN The cluster is down"), ClusterError::cluster_down);
  EXPECT_EQ(classify_cluster_error("CLUSTERDOWN Hash slot not served"), ClusterError::cluster_down);
  EXPECT_EQ(classify_cluster_error("CROSSSLOT Keys in request don't hash to the same slot"),
            ClusterError::cross_slot);
  EXPECT_EQ(classify_cluster_error("TRYAGAIN"), ClusterError::try_again);
  EXPECT_EQ(classify_cluster_error("ERR This instance has cluster support disabled"),
            ClusterError::none);
  EXPECT_EQ(classify_cluster_error("WRONGTYPE Operation against a key"), ClusterError::none);
  EXPECT_EQ(classify_cluster_error("tryagain lower case is not Redis"), ClusterError::none);
  EXPECT_EQ(classify_cluster_error(""), ClusterError::none);

  EXPECT_TRUE(retry_after_backoff(ClusterError::try_again));
  EXPECT_TRUE(retry_after_backoff(ClusterError::cluster_down));
  EXPECT_FALSE(retry_after_backoff(ClusterError::moved));
  EXPECT_FALSE(retry_after_backoff(ClusterError::ask));
  EXPECT_FALSE(retry_after_backoff(ClusterError::cross_slot));
  EXPECT_FALSE(retry_after_backoff(ClusterError::none));
}
