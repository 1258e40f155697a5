using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>One isolated escalation instance (own schema, virtual host and manual clock) shared by a collection's tests, which run one at a time.</summary>
public sealed class EscalationFixture : IAsyncLifetime
{
    public IsolatedEscalation Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await IsolatedEscalation.CreateAsync();
        await Host.StartInstanceAsync();
        await Host.PublishDirectoryAsync();
        await Eventually.HoldsAsync(async () => await Host.CountAsync("select count(*) from org_directory", new { }) == 1, "the org chart is stored");
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(nameof(EscalationFixture))]
public sealed class EscalationCollection : ICollectionFixture<EscalationFixture>;

[CollectionDefinition("Policies")]
public sealed class PolicyCollection : ICollectionFixture<EscalationFixture>;
