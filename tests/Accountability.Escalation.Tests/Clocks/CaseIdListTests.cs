using Accountability.Escalation.Features.Clocks;
using Xunit;

namespace Accountability.Escalation.Tests.Clocks;

/// <summary>The caseIds list of GET /api/clocks, parsed without a server.</summary>
public sealed class CaseIdListTests
{
    [Fact]
    public void Case_ids_come_back_in_the_order_given_without_repeats_or_surrounding_spaces()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        Assert.Null(ClockEndpoints.ParseCaseIds($"{b}, {a} ,{b}", out var ids));
        Assert.Equal([b, a], ids);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(",")]
    [InlineData("01a1fe98-7485-7ba1-8d4a-0d2ba02a252a,")]
    [InlineData("01a1fe987485-7ba1-8d4a-0d2ba02a252a")]
    [InlineData("{01a1fe98-7485-7ba1-8d4a-0d2ba02a252a}")]
    public void Anything_but_comma_separated_GUIDs_is_refused_with_a_reason(string? raw)
    {
        Assert.NotNull(ClockEndpoints.ParseCaseIds(raw, out var ids));
        Assert.Empty(ids);
    }

    [Fact]
    public void One_hundred_ids_are_the_most_one_request_may_ask_for()
    {
        var hundred = string.Join(',', Enumerable.Range(0, ClockEndpoints.MaxCasesPerRequest).Select(_ => Guid.NewGuid()));
        Assert.Null(ClockEndpoints.ParseCaseIds(hundred, out var ids));
        Assert.Equal(100, ids.Count);
        Assert.Contains("100", ClockEndpoints.ParseCaseIds($"{hundred},{Guid.NewGuid()}", out _));
    }

    [Fact]
    public void A_refusal_never_echoes_what_was_sent()
    {
        var reason = ClockEndpoints.ParseCaseIds("<script>alert(1)</script>", out _);
        Assert.DoesNotContain("script", reason);
    }
}
