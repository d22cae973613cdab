using ClinicPortal.Features.Messages;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Procedures;

public sealed record ProcedureInfo(Guid Id, string Name, int DurationMinutes, string Description, string Recovery, string PriceRange, string PreparationNotes);

/// <summary>What the public information pages show: a clinic (by slug) and its offered procedures, read-only.</summary>
public sealed class PublicProcedureStore(ClinicDb db)
{
    public async Task<(PublicClinic? Clinic, IReadOnlyList<ProcedureInfo> Procedures)> LoadAsync(string slug, Guid? procedure, CancellationToken ct = default)
    {
        var clinic = (await db.ReadUnscopedAsync(data => data.Database
            .SqlQuery<PublicClinic>($"select id, slug, name, phone from public_clinic({slug})").ToListAsync(ct), ct)).SingleOrDefault();
        if (clinic is null) return (null, []);
        return (clinic, await db.ReadDataAsync(clinic.Id, data => data.Procedures
            .Where(p => p.Active && (procedure == null || p.Id == procedure)).OrderBy(p => p.Name)
            .Select(p => new ProcedureInfo(p.Id, p.Name, p.DurationMinutes, p.Description, p.Recovery, p.PriceRange, p.PreparationNotes))
            .ToListAsync(ct), ct));
    }
}
