namespace Avatar.Benchmarks;

/// <summary>How the benchmark prints memory.</summary>
internal static class Sizes
{
    /// <summary><paramref name="bytes"/> in MiB, the unit of every memory figure the benchmark prints.</summary>
    public static double Mebibytes(long bytes) => bytes / 1024.0 / 1024.0;
}
