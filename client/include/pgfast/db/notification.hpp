// pgfast::Notification: one NOTIFY delivered to a connection that LISTENs on its channel
// (Connection::listen / wait_for_notification). A plain value.
#pragma once

#include <string>

namespace pgfast {

struct Notification {
  std::string channel;  // as the server reports it (the unquoted identifier)
  std::string payload;  // exactly as sent; empty when NOTIFY had none
  int backend_pid = 0;  // the notifying session's backend
};

}  // namespace pgfast
