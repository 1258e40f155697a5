namespace Accountability.Contracts.Directory;

/// <summary>The assignment service's directory changed; services that need the org chart keep their own copy from this.</summary>
public sealed record DirectoryPublished
{
    /// <summary>Increases by one with every change; a consumer ignores a version older than the one it has.</summary>
    public required long Version { get; init; }
    public required OrgDirectory Directory { get; init; }
    public required DateTimeOffset PublishedAt { get; init; }
    public required string Actor { get; init; }
    public required string Reason { get; init; }
}
