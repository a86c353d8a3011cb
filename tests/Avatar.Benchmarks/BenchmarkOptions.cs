namespace Avatar.Benchmarks;

public sealed record BenchmarkOptions(int Submissions, int Workers, TimeSpan ReviewDuration, int LatencyMs, int ConcurrentMessageLimit);
