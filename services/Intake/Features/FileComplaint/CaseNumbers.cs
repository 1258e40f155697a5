using Dapper;
using Npgsql;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>
/// IA-2026-00042: the number people say on the phone and write in letters. The first 8 characters of a
/// time-ordered id looked alike for cases filed close together (one appeared 7 times on a board).
/// </summary>
public static class CaseNumbers
{
    /// <summary>The next number of the filing's year (UTC), taken in the filing's transaction: a rollback gives it back.</summary>
    public static async Task<string> NextAsync(NpgsqlTransaction transaction, string prefix, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var year = receivedAt.UtcDateTime.Year;
        var next = await transaction.Connection!.ExecuteScalarAsync<int>(new CommandDefinition(
            """
            insert into case_number_sequences (year, last) values (@year, 1)
            on conflict (year) do update set last = case_number_sequences.last + 1
            returning last
            """, new { year }, transaction, cancellationToken: cancellationToken));
        return Format(prefix, year, next);
    }

    public static string Format(string prefix, int year, int number) => $"{prefix}-{year}-{number:D5}";
}
