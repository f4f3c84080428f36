// Who may use `bhasa serve`: the API key check and the refusal to expose an
// unauthenticated server beyond the loopback interface.
#pragma once

#include <string>
#include <string_view>

namespace bhasa::backends {

// True when `authorization` (the Authorization header's value) is
// "Bearer <key>". The comparison takes the same time wherever the two keys
// differ, and whatever their lengths, so timing tells a client nothing.
bool BearerMatches(std::string_view authorization, std::string_view key);

// Routes the key guards: every /v1 route and /metrics; /health stays open
// for load balancers and orchestrators.
bool NeedsKey(std::string_view path);

// Throws Error (kExitUsage) when `host` is not a loopback address, no key is
// set and `allow_unauthenticated` is false; also for a host that is not an
// IP address.
void CheckExposure(const std::string& host, bool has_key, bool allow_unauthenticated);

}  // namespace bhasa::backends
