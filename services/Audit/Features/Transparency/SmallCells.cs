namespace Accountability.Audit.Features.Transparency;

/// <summary>
/// A published figure: <see cref="Value"/> is null exactly when <see cref="Suppressed"/> is true. A suppressed cell is
/// either small itself (fewer than the threshold) or <see cref="Withheld"/>: a larger figure hidden only so that a small
/// one beside it cannot be worked out, which must never be published as "fewer than 5", since it is not.
/// </summary>
public sealed record Cell(double? Value, bool Suppressed, bool Withheld = false)
{
    public static Cell Shown(double value) => new(value, false);

    /// <summary>Fewer than the threshold (or fewer than the threshold went into it).</summary>
    public static readonly Cell Hidden = new(null, true);

    /// <summary>Hidden to protect another cell (complementary suppression); its value may be any size.</summary>
    public static readonly Cell Protecting = new(null, true, true);

    /// <summary>How a published table or file says why a figure is missing.</summary>
    public string? Reason => !Suppressed ? null : Withheld ? "withheld" : "fewer-than-threshold";
}

/// <summary>
/// A table of counts with its margins (row totals, column totals, grand total), after small-cell suppression.
/// Every published view of a count (a chart by month, a chart by category, a filtered chart) is a row, a column
/// or a margin of one such table, so no two of them can be subtracted to recover what the table hid.
/// </summary>
public sealed record CountTable(
    IReadOnlyList<string> Rows, IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<Cell>> Cells, IReadOnlyList<Cell> RowTotals, IReadOnlyList<Cell> ColumnTotals, Cell Total);

/// <summary>
/// Small-cell suppression with complementary suppression, as statistics offices publish tables.
/// Primary: every count from 1 to threshold - 1 is hidden. A true zero is published: it picks nobody out, and hiding it
/// would hide a quiet department's every month (a month beside empty ones could not be shown), while the complementary
/// rule below never counts on zeros, so a published zero cannot help solve a hidden cell. Complementary: each row and column is the
/// equation total = sum of its parts; while any equation has exactly one hidden entry (so it could be solved), or
/// a published total whose hidden parts add up to less than the threshold (so their sum is itself a small count),
/// the smallest published part of it is hidden too (the total only when no part is left). It repeats until every
/// equation is safe. Pure, so it is tested without a database.
/// </summary>
public static class SmallCells
{
    public const int Threshold = 5;

    public static CountTable Suppress(IReadOnlyList<string> rows, IReadOnlyList<string> columns, long[,] counts, int threshold = Threshold)
    {
        int r = rows.Count, c = columns.Count;
        // The grid with its margins: row r is the column totals, column c the row totals, [r, c] the grand total.
        var v = new long[r + 1, c + 1];
        for (var i = 0; i < r; i++)
            for (var j = 0; j < c; j++)
            {
                v[i, j] = counts[i, j];
                v[i, c] += counts[i, j];
                v[r, j] += counts[i, j];
                v[r, c] += counts[i, j];
            }
        var hidden = new bool[r + 1, c + 1];
        var small = new bool[r + 1, c + 1];
        for (var i = 0; i <= r; i++)
            for (var j = 0; j <= c; j++)
                hidden[i, j] = small[i, j] = v[i, j] > 0 && v[i, j] < threshold;

        var lines = new List<((int I, int J) Total, (int I, int J)[] Parts)>();
        for (var i = 0; i <= r; i++)
            lines.Add(((i, c), [.. Enumerable.Range(0, c).Select(j => (i, j))]));
        for (var j = 0; j <= c; j++)
            lines.Add(((r, j), [.. Enumerable.Range(0, r).Select(i => (i, j))]));

        bool changed;
        do
        {
            changed = false;
            foreach (var (total, parts) in lines)
            {
                var hiddenParts = parts.Where(p => hidden[p.I, p.J]).ToList();
                var unknowns = hiddenParts.Count + (hidden[total.I, total.J] ? 1 : 0);
                var unsafeLine = unknowns == 1
                    || (!hidden[total.I, total.J] && hiddenParts.Count > 0 && hiddenParts.Sum(p => v[p.I, p.J]) < threshold);
                if (!unsafeLine)
                    continue;
                // The smallest published part that is not zero (hiding a zero adds nothing to the hidden sum).
                var candidates = parts.Where(p => !hidden[p.I, p.J] && v[p.I, p.J] > 0).OrderBy(p => v[p.I, p.J]).ToList();
                if (candidates.Count > 0)
                    hidden[candidates[0].I, candidates[0].J] = true;
                else if (!hidden[total.I, total.J])
                    hidden[total.I, total.J] = true;
                else
                    continue;
                changed = true;
            }
        }
        while (changed);

        Cell At(int i, int j) => !hidden[i, j] ? Cell.Shown(v[i, j]) : small[i, j] ? Cell.Hidden : Cell.Protecting;
        return new CountTable(rows, columns,
            [.. Enumerable.Range(0, r).Select(i => (IReadOnlyList<Cell>)[.. Enumerable.Range(0, c).Select(j => At(i, j))])],
            [.. Enumerable.Range(0, r).Select(i => At(i, c))],
            [.. Enumerable.Range(0, c).Select(j => At(r, j))],
            At(r, c));
    }

    /// <summary>A median in days over <paramref name="days"/>, hidden when fewer than the threshold went into it.</summary>
    public static Cell Median(IReadOnlyCollection<double> days, int threshold = Threshold)
    {
        if (days.Count < threshold)
            return Cell.Hidden;
        var sorted = days.Order().ToArray();
        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return Cell.Shown(Math.Round(median, 1));
    }

    /// <summary>
    /// A share in whole percent of <paramref name="within"/> out of <paramref name="total"/>. Hidden when fewer than the
    /// threshold went into it, and also when the cases inside or outside number 1 to 4: a share times a known count
    /// would otherwise give that small count back. None at all (100% or 0%) picks nobody out, so it is shown.
    /// </summary>
    public static Cell Share(long within, long total, int threshold = Threshold)
    {
        var outside = total - within;
        if (total < threshold || within > 0 && within < threshold || outside > 0 && outside < threshold)
            return Cell.Hidden;
        return Cell.Shown(Math.Round(100.0 * within / total));
    }
}
