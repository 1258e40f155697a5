using Accountability.Escalation.Data;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// A group's case update reaches its few cases through the key, however many cases the table holds. The services prepare
/// their statements, and PostgreSQL keeps one plan for a prepared statement: a plan that reads the table whole costs
/// more with every case the department ever had.
/// </summary>
public sealed class CaseUpdatePlanTests
{
    [Fact]
    public async Task A_groups_case_update_probes_the_key_of_a_table_of_thousands_of_cases_in_the_plan_PostgreSQL_keeps()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync();
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        await connection.ExecuteAsync("insert into cases (case_id) select gen_random_uuid() from generate_series(1, 3000); analyze cases");

        // The plan a prepared statement keeps: made for any parameters, with jsonb_to_recordset taken for 100 rows.
        await connection.ExecuteAsync("set plan_cache_mode = force_generic_plan");
        var statement = CaseClockStore.UpdateCasesSql
            .Replace("@updates", "$1", StringComparison.Ordinal)
            .Replace("@caseIds", "$2", StringComparison.Ordinal);
        await connection.ExecuteAsync($"prepare group_update(jsonb, uuid[]) as {statement}");
        var plan = string.Join('\n', await connection.QueryAsync<string>("explain execute group_update('[]', '{}')"));

        Assert.DoesNotContain("Seq Scan on cases", plan, StringComparison.Ordinal);
        Assert.Contains("cases_pkey", plan, StringComparison.Ordinal);
    }
}
