namespace Accountability.Assignment.Features.Custody;

public enum OwnerKind
{
    Person,
    Unit,
}

/// <summary>Who holds a case: one person, or a whole unit until someone there takes it.</summary>
public sealed record CaseOwner(OwnerKind Kind, string Id)
{
    public static CaseOwner Person(string personId) => new(OwnerKind.Person, personId);

    public static CaseOwner Unit(string unitId) => new(OwnerKind.Unit, unitId);

    public bool IsPerson => Kind == OwnerKind.Person;

    /// <summary>The spelling the contracts and the custody table use: "person" or "unit".</summary>
    public string KindName => Kind == OwnerKind.Person ? "person" : "unit";

    public static CaseOwner FromContract(string kind, string id) => kind switch
    {
        "person" => Person(id),
        "unit" => Unit(id),
        _ => throw new ArgumentException($"Unknown owner kind '{kind}'; expected \"person\" or \"unit\".", nameof(kind)),
    };

    public override string ToString() => $"{KindName} {Id}";
}
