namespace Accountability.Assignment.Features.Directory;

/// <summary>One thing wrong with a directory. Path points into the JSON, e.g. <c>people[3].supervisorId</c>; "$" is the whole file.</summary>
public sealed record DirectoryProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
