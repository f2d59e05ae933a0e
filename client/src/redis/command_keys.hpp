// Where a command's keys are, for routing it in a Redis Cluster: a table of the commands pgfast
// and typical applications send (the positions COMMAND INFO gives), EVAL/EVALSHA/FCALL by their
// numkeys argument, and which commands only read (a replica may serve them). Pure; internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgfast::cluster {

// The keys of `argv` when its command is in the table (an empty vector for a keyless command
// such as PING or SCRIPT LOAD); nullopt for a command the table does not know (the router asks
// the server with COMMAND GETKEYS). A numkeys argument that is not a number or exceeds the
// arguments: RedisError naming the command. `argv` must not be empty.
std::optional<std::vector<std::string>> command_keys(const std::vector<std::string>& argv);

// True for commands that never write (GET, MGET, EXISTS, PTTL, HMGET, EVALSHA_RO, ...): with
// RedisOptions::read_from_replicas they may go to a replica. Case-insensitive.
bool is_read_only(std::string_view command) noexcept;

}  // namespace pgfast::cluster
