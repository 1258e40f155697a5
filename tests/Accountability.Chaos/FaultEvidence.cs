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
    private readonly List<(string Fault, bool Confirmed, string Detail, bool ProcessKill)> entries = [];

    public void Record(string fault, bool confirmed, string detail)
    {
        lock (gate)
            entries.Add((fault, confirmed, detail, false));
    }

    /// <summary>
    /// A <c>kill -9</c> of a service process. There are dozens, so they are counted in one line; each one not proven
    /// is listed. Faults of the servers (a broker node, the database primary) are listed one by one with their proof.
    /// </summary>
    public void RecordProcessKill(string victim, bool confirmed, string detail)
    {
        lock (gate)
            entries.Add(($"kill -9 {victim}", confirmed, detail, true));
    }

    public int Unconfirmed
    {
        get { lock (gate) return entries.Count(e => !e.Confirmed); }
    }

    public void Print()
    {
        lock (gate)
        {
            var kills = entries.Where(e => e.ProcessKill).ToList();
            Console.WriteLine($"fault evidence: {entries.Count(e => e.Confirmed)} of {entries.Count} confirmed "
                + $"(kill -9 of a service process: {kills.Count(k => k.Confirmed)} of {kills.Count} ended by SIGKILL)");
            foreach (var (fault, confirmed, detail, _) in entries.Where(e => !e.ProcessKill || !e.Confirmed))
                Console.WriteLine($"  {(confirmed ? "confirmed" : "NOT CONFIRMED")}: {fault}: {detail}");
        }
    }
}
