// The floating-point behaviour of the few numpy and Python statistics calls
// that SEA-HELM's leaderboard notebook makes, reproduced exactly:
//   numpy mean over the contiguous axis (pairwise summation, then / n),
//   numpy mean over axis 0 (row-by-row accumulation, then / k),
//   statistics.mean and statistics.variance (exact rational arithmetic,
//   correctly rounded), and the notebook's stderr sqrt(variance / n).
// Pure functions; thread-safe.
#pragma once

#include <span>
#include <vector>

namespace bhasa::results {

// numpy's pairwise summation of a contiguous run (DOUBLE_pairwise_sum, blocks
// of 128 with 8 accumulators), as np.sum / np.mean use along the last axis.
double NumpyPairwiseSum(std::span<const double> values);
// np.mean(row) for a 1-D contiguous row: pairwise sum / n (0 for an empty row).
double NumpyMean(std::span<const double> values);
// np.mean(rows, axis=0) of equally long rows: rows added in order, then / k.
// Error when the rows differ in length; empty input gives an empty vector.
std::vector<double> NumpyMeanAxis0(const std::vector<std::vector<double>>& rows);

// statistics.mean: the exact mean rounded once (0 for an empty input).
double PyMean(std::span<const double> values);
// statistics.variance (n - 1 denominator), exact then rounded once. Error
// when fewer than two values.
double PyVariance(std::span<const double> values);
// The notebook's calculate_stderr: sqrt(variance / n), 0 for an empty input.
double PyStderr(std::span<const double> values);

}  // namespace bhasa::results
