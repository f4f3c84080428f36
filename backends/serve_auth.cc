#include "backends/serve_auth.h"

#include <array>
#include <cctype>

#include <boost/asio/ip/address.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::backends {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

// Comparing digests of equal length hides the key's length as well.
Digest Sha256(std::string_view s) {
  Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

}  // namespace

bool BearerMatches(std::string_view authorization, std::string_view key) {
  constexpr std::string_view kScheme = "Bearer ";
  // The scheme is case-insensitive (RFC 7235); the key that follows is not.
  bool scheme = authorization.size() >= kScheme.size();
  for (size_t i = 0; scheme && i < kScheme.size(); ++i)
    scheme = std::tolower(static_cast<unsigned char>(authorization[i])) ==
             std::tolower(static_cast<unsigned char>(kScheme[i]));
  const std::string_view given = scheme ? authorization.substr(kScheme.size()) : std::string_view();
  const Digest a = Sha256(given), b = Sha256(key);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0 && scheme && !key.empty();
}

bool NeedsKey(std::string_view path) { return path == "/metrics" || path == "/v1" || path.starts_with("/v1/"); }

void CheckExposure(const std::string& host, bool has_key, bool allow_unauthenticated) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) throw Error("bhasa serve: --host must be an IP address, got '" + host + "'", kExitUsage);
  if (address.is_loopback() || has_key || allow_unauthenticated) return;
  throw Error("bhasa serve: refusing to listen on " + host +
                  " without an API key: anyone who can reach it could use the model. Give --api-key KEY (or set "
                  "BHASA_API_KEY), or --allow-unauthenticated to serve without one",
              kExitUsage);
}

}  // namespace bhasa::backends
