namespace Accountability.Intake.Data;

/// <summary>
/// The name of the unit accountable for a complaint, from intake's own directory copy: a unit
/// owner shows its name, a person owner shows their unit's name, never the person.
/// </summary>
public static class ResponsibleUnitSql
{
    /// <summary>Joins for a query over "complaints c"; selects unit_name (null while the directory copy does not know it).</summary>
    public const string Joins =
        """
        left join directory_units owner_unit on c.owner_kind = 'unit' and owner_unit.unit_id = c.owner_id
        left join directory_people owner_person on c.owner_kind = 'person' and owner_person.person_id = c.owner_id
        left join directory_units person_unit on person_unit.unit_id = owner_person.unit_id
        """;

    public const string UnitName = "coalesce(owner_unit.name, person_unit.name)";

    /// <summary>The intake desk is known from configuration before any directory arrives; anything else unknown is the department.</summary>
    public static string Resolve(string? unitName, string ownerKind, string ownerId, IntakeOptions options) =>
        unitName
        ?? (ownerKind == "unit" && ownerId == options.DutyDeskUnitId ? options.DutyDeskName : options.DepartmentName);
}
