#include "results/py_stats.h"

#include <climits>
#include <cmath>
#include <string>

#include <boost/multiprecision/cpp_int.hpp>

#include "common/error.h"

namespace bhasa::results {

namespace {

using BigInt = boost::multiprecision::cpp_int;

constexpr size_t kPairwiseBlock = 128;
// numpy's reduction loop hands the inner loop at most one buffer (8192
// elements) at a time; longer rows are summed blockwise and accumulated.
constexpr size_t kNumpyBufsize = 8192;

double PairwiseBlock(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= kPairwiseBlock) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseBlock(a, n2) + PairwiseBlock(a + n2, n - n2);
}

// Exact value of finite doubles as integers times 2^min_exp.
struct Exact {
  std::vector<BigInt> ints;
  int min_exp = 0;
};

Exact ToExact(std::span<const double> values) {
  Exact e;
  e.min_exp = INT_MAX;
  std::vector<std::pair<long long, int>> parts;
  for (double v : values) {
    if (!std::isfinite(v)) throw Error("statistics over a non-finite value");
    int exp = 0;
    double frac = std::frexp(v, &exp);                    // v = frac * 2^exp, |frac| in [0.5, 1)
    long long mant = static_cast<long long>(std::ldexp(frac, 53));  // exact
    exp -= 53;
    if (mant == 0) exp = INT_MAX;
    parts.push_back({mant, exp});
    if (mant != 0) e.min_exp = std::min(e.min_exp, exp);
  }
  if (e.min_exp == INT_MAX) e.min_exp = 0;
  for (auto [mant, exp] : parts) {
    BigInt x = mant;
    if (mant != 0) x <<= (exp - e.min_exp);
    e.ints.push_back(x);
  }
  return e;
}

// p / q * 2^k rounded to nearest, ties to even (q > 0).
double RationalToDouble(BigInt p, BigInt q, long k) {
  bool neg = p < 0;
  if (neg) p = -p;
  if (p == 0) return 0.0;
  long shift = 55 + static_cast<long>(boost::multiprecision::msb(q)) - static_cast<long>(boost::multiprecision::msb(p));
  if (shift > 0) p <<= shift;
  else if (shift < 0) q <<= -shift;
  BigInt quot, rem;
  boost::multiprecision::divide_qr(p, q, quot, rem);
  long bits = static_cast<long>(boost::multiprecision::msb(quot)) + 1;
  long drop = bits - 53;
  long lsb_exp = k - shift + drop;
  if (lsb_exp < -1074) {  // subnormal result: keep fewer bits
    drop += -1074 - lsb_exp;
    lsb_exp = -1074;
  }
  BigInt kept = quot;
  bool round_up = false;
  if (drop > 0) {
    kept = quot >> drop;
    BigInt low = quot - (kept << drop);
    BigInt half = BigInt(1) << (drop - 1);
    round_up = low > half || (low == half && (rem != 0 || (kept & 1) != 0));
  } else if (drop < 0) {
    kept = quot << -drop;  // cannot happen with the 55-bit scaling, kept for safety
  }
  if (round_up) kept += 1;
  double r = std::ldexp(kept.convert_to<double>(), static_cast<int>(lsb_exp));
  return neg ? -r : r;
}

}  // namespace

double NumpyPairwiseSum(std::span<const double> values) {
  double total = 0.;
  for (size_t at = 0; at < values.size(); at += kNumpyBufsize) {
    size_t n = std::min(kNumpyBufsize, values.size() - at);
    total += PairwiseBlock(values.data() + at, n);
  }
  return total;
}

double NumpyMean(std::span<const double> values) {
  if (values.empty()) return 0.;
  return NumpyPairwiseSum(values) / static_cast<double>(values.size());
}

std::vector<double> NumpyMeanAxis0(const std::vector<std::vector<double>>& rows) {
  if (rows.empty()) return {};
  std::vector<double> acc(rows[0].size(), 0.);
  for (const auto& r : rows) {
    if (r.size() != acc.size())
      throw Error("mean over rows of different lengths (" + std::to_string(r.size()) + " vs " +
                  std::to_string(acc.size()) + ")");
    for (size_t j = 0; j < r.size(); ++j) acc[j] += r[j];
  }
  for (double& v : acc) v /= static_cast<double>(rows.size());
  return acc;
}

double PyMean(std::span<const double> values) {
  if (values.empty()) return 0.;
  Exact e = ToExact(values);
  BigInt sum = 0;
  for (const auto& x : e.ints) sum += x;
  return RationalToDouble(sum, BigInt(values.size()), e.min_exp);
}

double PyVariance(std::span<const double> values) {
  if (values.size() < 2) throw Error("variance requires at least two data points");
  Exact e = ToExact(values);
  BigInt sx = 0, sxx = 0;
  for (const auto& x : e.ints) {
    sx += x;
    sxx += x * x;
  }
  BigInt n = values.size();
  // (n*sxx - sx^2) / n is the exact sum of squared deviations; / (n - 1).
  return RationalToDouble(n * sxx - sx * sx, n * (n - 1), 2L * e.min_exp);
}

double PyStderr(std::span<const double> values) {
  if (values.empty()) return 0.;
  return std::sqrt(PyVariance(values) / static_cast<double>(values.size()));
}

}  // namespace bhasa::results
