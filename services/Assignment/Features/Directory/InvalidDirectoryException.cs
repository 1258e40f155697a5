using System.Text;

namespace Accountability.Assignment.Features.Directory;

/// <summary>A directory that cannot be used. The message lists every problem, one per line, so the file can be fixed in one pass.</summary>
public sealed class InvalidDirectoryException : Exception
{
    public InvalidDirectoryException(string source, IReadOnlyList<DirectoryProblem> problems)
        : base(Describe(source, problems))
    {
        DirectorySource = source;
        Problems = problems;
    }

    /// <summary>Where the directory came from: a file path, or a description of an in-memory directory.</summary>
    public string DirectorySource { get; }

    public IReadOnlyList<DirectoryProblem> Problems { get; }

    private static string Describe(string source, IReadOnlyList<DirectoryProblem> problems)
    {
        var text = new StringBuilder()
            .Append("The org directory ").Append(source).Append(" has ")
            .Append(problems.Count).Append(problems.Count == 1 ? " problem" : " problems")
            .Append(':');
        foreach (var problem in problems)
            text.AppendLine().Append("  ").Append(problem);
        return text.ToString();
    }
}
