using Accountability.Audit.Features.Transparency;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

/// <summary>Small-cell suppression: nothing under five is published, nor can it be worked out from what is.</summary>
public sealed class SmallCellSuppressionTests
{
    private static CountTable Suppress(long[,] counts) =>
        SmallCells.Suppress([.. Enumerable.Range(0, counts.GetLength(0)).Select(i => $"r{i}")], [.. Enumerable.Range(0, counts.GetLength(1)).Select(j => $"c{j}")], counts);

    [Fact]
    public void A_table_of_large_counts_is_published_whole()
    {
        var table = Suppress(new long[,] { { 10, 20 }, { 30, 40 } });
        Assert.All(table.Cells.SelectMany(r => r), c => Assert.False(c.Suppressed));
        Assert.Equal(100, table.Total.Value);
        Assert.Equal([30.0, 70.0], table.RowTotals.Select(c => c.Value!.Value));
    }

    [Fact]
    public void A_single_small_cell_is_hidden_with_a_second_cell_of_its_row_and_of_its_column_so_no_total_gives_it_back()
    {
        var table = Suppress(new long[,] { { 3, 20, 9 }, { 30, 40, 12 } });
        Assert.True(table.Cells[0][0].Suppressed);
        Assert.True(table.Cells[0][2].Suppressed);    // the row's smallest other cell
        Assert.True(table.Cells[1][0].Suppressed || table.ColumnTotals[0].Suppressed);
        TransparencyLeaks.AssertSafe(table, 5);
    }

    [Fact]
    public void Hidden_cells_that_add_up_to_less_than_five_take_a_larger_one_with_them()
    {
        // 1 + 2 hidden under a published total of 40 would publish their sum, 3.
        var table = Suppress(new long[,] { { 1, 2, 37 } });
        Assert.True(table.Cells[0][2].Suppressed);
        TransparencyLeaks.AssertSafe(table, 5);
    }

    [Fact]
    public void A_true_zero_is_published_and_never_counts_towards_protecting_a_hidden_cell()
    {
        // Row 0: 0, 3, 12. The 3 cannot hide behind the zero: the 12 goes with it.
        var table = Suppress(new long[,] { { 0, 3, 12 }, { 7, 9, 20 } });
        Assert.Equal(0, table.Cells[0][0].Value);
        Assert.True(table.Cells[0][1].Suppressed);
        Assert.True(table.Cells[0][2].Suppressed);
        TransparencyLeaks.AssertSafe(table, 5);
    }

    [Fact]
    public void A_cell_hidden_only_to_protect_a_small_one_is_marked_withheld_so_it_is_never_called_fewer_than_five()
    {
        // The 3 is small; the 12 beside it is hidden so that the row's total cannot give the 3 back, but it is not small.
        var table = Suppress(new long[,] { { 0, 3, 12 }, { 7, 9, 20 } });
        Assert.Equal((true, false, "fewer-than-threshold"), (table.Cells[0][1].Suppressed, table.Cells[0][1].Withheld, table.Cells[0][1].Reason));
        Assert.Equal((true, true, "withheld"), (table.Cells[0][2].Suppressed, table.Cells[0][2].Withheld, table.Cells[0][2].Reason));
        Assert.Null(table.Cells[1][0].Reason);
    }

    [Fact]
    public void Random_sparse_tables_never_publish_a_small_count_or_a_line_that_can_be_solved()
    {
        var random = new Random(16);
        for (var run = 0; run < 500; run++)
        {
            var counts = new long[random.Next(1, 8), random.Next(1, 8)];
            for (var i = 0; i < counts.GetLength(0); i++)
                for (var j = 0; j < counts.GetLength(1); j++)
                    counts[i, j] = random.Next(4) == 0 ? random.Next(0, 40) : random.Next(0, 6);
            TransparencyLeaks.AssertSafe(Suppress(counts), 5);
        }
    }

    [Fact]
    public void Medians_and_shares_over_fewer_than_five_cases_are_hidden_and_a_share_never_implies_a_small_count()
    {
        Assert.True(SmallCells.Median([1, 2, 3, 4]).Suppressed);
        Assert.Equal(3, SmallCells.Median([1, 2, 3, 4, 5]).Value);
        Assert.Equal(2.5, SmallCells.Median([1, 2, 3, 4, 5, 0]).Value);
        Assert.True(SmallCells.Share(3, 4).Suppressed);
        Assert.True(SmallCells.Share(18, 20).Suppressed);   // 2 outside the deadline
        Assert.True(SmallCells.Share(2, 20).Suppressed);    // 2 inside
        Assert.Equal(75, SmallCells.Share(15, 20).Value);
        Assert.Equal(100, SmallCells.Share(20, 20).Value);
    }
}

/// <summary>The checks a reader's arithmetic would make on a published table.</summary>
public static class TransparencyLeaks
{
    public static void AssertSafe(CountTable table, int threshold)
    {
        var rows = table.Rows.Count;
        var columns = table.Columns.Count;
        var all = table.Cells.SelectMany(r => r).Concat(table.RowTotals).Concat(table.ColumnTotals).Append(table.Total);
        Assert.All(all, c => Assert.True(c.Suppressed || c.Value == 0 || c.Value >= threshold, $"published {c.Value}, under {threshold}"));

        var lines = new List<(Cell Total, List<Cell> Parts)>();
        for (var i = 0; i < rows; i++)
            lines.Add((table.RowTotals[i], [.. table.Cells[i]]));
        lines.Add((table.Total, [.. table.ColumnTotals]));
        for (var j = 0; j < columns; j++)
            lines.Add((table.ColumnTotals[j], [.. table.Cells.Select(r => r[j])]));
        lines.Add((table.Total, [.. table.RowTotals]));
        foreach (var (total, parts) in lines)
        {
            var hidden = parts.Count(p => p.Suppressed) + (total.Suppressed ? 1 : 0);
            Assert.True(hidden != 1, "a line with one hidden entry can be solved for it");
            if (total.Suppressed || hidden == 0)
                continue;
            // What a reader gets by subtracting every published part from the total, or any one of them.
            var rest = total.Value!.Value - parts.Where(p => !p.Suppressed).Sum(p => p.Value!.Value);
            Assert.True(rest >= threshold, $"the hidden parts of a line add up to {rest}");
            foreach (var part in parts.Where(p => !p.Suppressed))
                Assert.False(total.Value - part.Value is > 0 and < 5, $"{total.Value} - {part.Value} is a small count");
        }
    }
}
