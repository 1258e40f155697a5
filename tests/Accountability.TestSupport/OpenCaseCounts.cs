namespace Accountability.TestSupport;

/// <summary>
/// Routing's open cases per owner, which triggers keep in assignment.open_case_counts (assignment's migration 0013),
/// against a count of the case rows: the assignment tests and make chaos's checker ask the same question.
/// </summary>
public static class OpenCaseCounts
{
    /// <summary>Each owner whose kept count differs from its open case rows: owner id, counted, kept. One statement, one snapshot.</summary>
    public const string MiscountedOwnersSql =
        """
        select coalesce(counted.owner_id, kept.owner_id), coalesce(counted.open_cases, 0), coalesce(kept.open_cases, 0)
        from (select owner_kind, owner_id, count(*)::int as open_cases from assignment.cases
              where status = 'open' group by owner_kind, owner_id) as counted
        full join assignment.open_case_counts as kept on kept.owner_kind = counted.owner_kind and kept.owner_id = counted.owner_id
        where coalesce(counted.open_cases, 0) <> coalesce(kept.open_cases, 0)
        """;
}
