namespace Accountability.Chaos;

/// <summary>
/// Proof that each fault the run claims really happened: a kill ended the process by SIGKILL, a
/// RabbitMQ restart gave the node a new start time, a PostgreSQL stop refused connections and its
/// start gave the postmaster a new start time, and both instances of every service served at once.
/// A fault without its proof fails the run: a checker that passes on faults that never happened
/// proves nothing.
/// </summary>
public sealed class FaultEvidence
{
    private readonly Lock gate = new();
    private readonly List<(string Fault, bool Confirmed, string Detail)> entries = [];

    public void Record(string fault, bool confirmed, string detail)
    {
        lock (gate)
            entries.Add((fault, confirmed, detail));
    }

    public int Unconfirmed
    {
        get { lock (gate) return entries.Count(e => !e.Confirmed); }
    }

    public void Print()
    {
        lock (gate)
        {
            var kills = entries.Where(e => e.Fault.StartsWith("kill -9", StringComparison.Ordinal)).ToList();
            Console.WriteLine($"fault evidence: {entries.Count(e => e.Confirmed)} of {entries.Count} confirmed "
                + $"(kill -9: {kills.Count(k => k.Confirmed)} of {kills.Count} ended by SIGKILL)");
            foreach (var (fault, confirmed, detail) in entries.Where(e => !e.Fault.StartsWith("kill -9", StringComparison.Ordinal) || !e.Confirmed))
                Console.WriteLine($"  {(confirmed ? "confirmed" : "NOT CONFIRMED")}: {fault}: {detail}");
        }
    }
}
