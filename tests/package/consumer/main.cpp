// A program outside the pgfast tree, linked against the installed client (scripts/package-test):
// it queries the packaged extension on DATABASE_URL and catches a typed error thrown inside
// libpgfast.so (exception types must cross the shared library's boundary).
#include <pgfast/connection.hpp>
#include <pgfast/errors.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

int main() {
  const char* url = std::getenv("DATABASE_URL");
  if (url == nullptr) {
    std::cerr << "consumer: DATABASE_URL is not set\n";
    return 2;
  }
  pgfast::Connection connection{std::string(url)};
  pgfast::Result version = connection.execute("SELECT pgfast.version()");
  std::cout << "consumer: " << version.as<std::string>(0, 0) << "\n";
  try {
    connection.execute("SELECT * FROM pgfast_consumer_no_such_table");
  } catch (const pgfast::SyntaxOrAccessError& error) {
    std::cout << "consumer: SyntaxOrAccessError " << error.sqlstate() << "\n";
    return error.sqlstate() == "42P01" ? 0 : 1;
  }
  std::cerr << "consumer: selecting from a missing table did not throw\n";
  return 1;
}
