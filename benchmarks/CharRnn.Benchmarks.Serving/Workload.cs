namespace CharRnn.Benchmarks.Serving;

/// <summary>Who arrives when, with what prime, asking for how many characters.</summary>
internal sealed record Workload(IReadOnlyList<UserRequest> Requests)
{
    private static readonly string[] Primes = ["ROMEO:", "JULIET:", "First Citizen:\n", "KING RICHARD III:\n", "Thou ", "O, "];

    public static Workload Steady(int users, int length) =>
        new([.. Enumerable.Range(0, users).Select(u => new UserRequest(TimeSpan.Zero, Primes[u % Primes.Length], length, (ulong)u))]);

    public static Workload Churn(int users, int windowMs, int seed)
    {
        var rng = new Random(seed);
        return new([.. Enumerable.Range(0, users).Select(u => new UserRequest(
            TimeSpan.FromMilliseconds(rng.Next(0, Math.Max(1, windowMs))), Primes[u % Primes.Length], rng.Next(50, 2001), (ulong)u))]);
    }

    public long Characters => Requests.Sum(r => (long)r.Length);
}

internal sealed record UserRequest(TimeSpan Arrival, string Prime, int Length, ulong Seed);
