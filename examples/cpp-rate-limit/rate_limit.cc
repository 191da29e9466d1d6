// cpp-rate-limit: a token-bucket rate limiter per consumer (or per client IP when the request has
// no consumer, or per value of `header_name` when that header is present). Each key gets a bucket
// of `burst` tokens refilled at `rate_per_second`; a request takes one token. Over the limit it
// answers 429 {"message":"API rate limit exceeded"} with Retry-After; every answer carries
// RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF draft names, as Kong's
// rate-limiting plugin sends them). Buckets live in this plugin server's memory: with several
// plugin server processes each keeps its own.
#include <gantry_pdk/gantry_pdk.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <unordered_map>

class RateLimitPlugin : public gantry_pdk::Plugin {
public:
  static gantry_pdk::Schema schema() {
    using gantry_pdk::Field;
    return {Field::number("rate_per_second").required().between(0.001, 1e9),
            Field::integer("burst").required().between(1, 1000000000),
            Field::string("header_name")};
  }

  explicit RateLimitPlugin(const nlohmann::json& config)
      : rate_(config.at("rate_per_second").get<double>()),
        burst_(config.at("burst").get<int64_t>()),
        headerName_(config.value("header_name", std::string())) {}

  void access(gantry_pdk::Pdk& kong) override {
    const Decision d = take(keyFor(kong), std::chrono::steady_clock::now());
    gantry_pdk::Headers headers = {{"RateLimit-Limit", std::to_string(burst_)},
                                   {"RateLimit-Remaining", std::to_string(d.remaining)},
                                   {"RateLimit-Reset", std::to_string(d.resetSeconds)}};
    if (!d.allowed) {
      headers.push_back({"Retry-After", std::to_string(d.retryAfterSeconds)});
      kong.response.exitJson(429, {{"message", "API rate limit exceeded"}}, std::move(headers));
      return;
    }
    for (const auto& h : headers) {
      kong.response.setHeader(h.name, h.value);
    }
  }

private:
  using Clock = std::chrono::steady_clock;
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  struct Decision {
    bool allowed;
    int64_t remaining, resetSeconds, retryAfterSeconds;
  };

  std::string keyFor(gantry_pdk::Pdk& kong) const {
    if (!headerName_.empty()) {
      if (auto value = kong.request.header(headerName_)) {
        return "header:" + std::string(*value);
      }
    }
    if (auto consumer = kong.client.consumer()) {
      return "consumer:" + consumer->id;
    }
    return "ip:" + std::string(kong.client.ip());
  }

  Decision take(const std::string& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (buckets_.size() > kMaxBuckets) {
      std::erase_if(buckets_, [&](const auto& kv) { return refill(kv.second, now) >= burst_; });
    }
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{double(burst_), now});
    Bucket& b = it->second;
    b.tokens = refill(b, now);
    b.last = now;
    const bool allowed = b.tokens >= 1.0;
    if (allowed) {
      b.tokens -= 1.0;
    }
    const auto secondsUntil = [&](double tokens) {
      return static_cast<int64_t>(std::ceil(std::max(0.0, tokens - b.tokens) / rate_));
    };
    return {allowed, static_cast<int64_t>(std::floor(b.tokens)), secondsUntil(double(burst_)),
            std::max<int64_t>(1, secondsUntil(1.0))};
  }

  double refill(const Bucket& b, Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    return std::min(double(burst_), b.tokens + elapsed * rate_);
  }

  static constexpr size_t kMaxBuckets = 100000;
  const double rate_;
  const int64_t burst_;
  const std::string headerName_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

GANTRY_PLUGIN(RateLimitPlugin, "cpp-rate-limit", "0.1.0", /*priority=*/910);
