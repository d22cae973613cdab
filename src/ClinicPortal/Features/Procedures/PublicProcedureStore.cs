using ClinicPortal.Features.Messages;
using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Procedures;

public sealed record ProcedureInfo(Guid Id, string Name, int DurationMinutes, string Description, string Recovery, string PriceRange, string PreparationNotes);

/// <summary>What the public information pages show: a clinic (by slug) and its offered procedures, read-only.</summary>
public sealed class PublicProcedureStore(ClinicDb db)
{
    public async Task<(PublicClinic? Clinic, IReadOnlyList<ProcedureInfo> Procedures)> LoadAsync(string slug, Guid? procedure, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        var clinic = await conn.QuerySingleOrDefaultAsync<PublicClinic>("select id, slug, name, phone from public_clinic(@slug)", new { slug });
        if (clinic is null) return (null, []);
        await using var grid = await conn.QueryForClinicAsync("""
            select id, name, duration_minutes as DurationMinutes, description, recovery, price_range as PriceRange, preparation_notes as PreparationNotes
              from procedures where active and (@procedure::uuid is null or id = @procedure) order by name
            """, new { clinic = clinic.Id, procedure });
        return (clinic, (await grid.ReadAsync<ProcedureInfo>()).ToList());
    }
}
