using Microsoft.Extensions.Options;

namespace Accountability.Assignment.Features.Routing;

/// <summary>Settings under "Routing".</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>
    /// How many new complaints the routing queue hands this instance at once (64 by default, 1 to 10,000). Routing writes
    /// them in groups, and the next group gathers while one is written: the queue must hold both, or each group waits for
    /// the acknowledgements of the one before and complaints are written one or two at a time.
    /// </summary>
    public int PrefetchCount { get; set; } = 64;

    /// <summary>Stops the start with the reason, naming the setting and the value given.</summary>
    public sealed class Validator : IValidateOptions<RoutingOptions>
    {
        public ValidateOptionsResult Validate(string? name, RoutingOptions options) =>
            options.PrefetchCount is < 1 or > 10_000
                ? ValidateOptionsResult.Fail($"Routing:PrefetchCount must be between 1 and 10000, not {options.PrefetchCount}.")
                : ValidateOptionsResult.Success;
    }
}
