using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ClinicPortal.Features.Procedures;

/// <summary>One procedure of the knowledge base, as staff edit it (Id null for a new one).</summary>
public sealed class ProcedureEdit
{
    public Guid? Id { get; set; }
    public string Name { get; set; } = "";
    public string Synonyms { get; set; } = "";
    public int DurationMinutes { get; set; } = 30;
    public int BufferAfterMinutes { get; set; }
    public string Description { get; set; } = "";
    public string Recovery { get; set; } = "";
    public string PriceRange { get; set; } = "";
    public string PreparationNotes { get; set; } = "";
    public bool Active { get; set; } = true;

    public string[] SynonymList => Synonyms.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The knowledge base the voice agent reads (lookup_procedure): list and save, every change audited.</summary>
public sealed class ProcedureStore(ClinicDb db)
{
    // Compiled: the procedures page and the booking form's picker run it.
    private static readonly Func<ClinicData, IAsyncEnumerable<Procedure>> AllProcedures = EF.CompileAsyncQuery<ClinicData, Procedure>(data =>
        data.Procedures.OrderByDescending(p => p.Active).ThenBy(p => p.Name));

    public Task<List<ProcedureEdit>> ListAsync(Guid clinic, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
        (await AllProcedures(data).ToListAsync(ct)).Select(p => new ProcedureEdit
        {
            Id = p.Id, Name = p.Name, Synonyms = string.Join(", ", p.Synonyms), DurationMinutes = p.DurationMinutes, BufferAfterMinutes = p.BufferAfterMinutes,
            Description = p.Description, Recovery = p.Recovery, PriceRange = p.PriceRange, PreparationNotes = p.PreparationNotes, Active = p.Active,
        }).ToList(), ct);

    /// <summary>Inserts or updates; the database's checks decide what is valid, and their refusal comes back as a sentence.</summary>
    public async Task<string?> SaveAsync(Guid clinic, ProcedureEdit p, string actor, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(p.Name)) return "a procedure needs a name";
        var saved = new Procedure
        {
            ClinicId = clinic, Id = p.Id ?? Guid.CreateVersion7(), Name = p.Name.Trim(), Synonyms = p.SynonymList, DurationMinutes = p.DurationMinutes,
            BufferAfterMinutes = p.BufferAfterMinutes, Description = p.Description.Trim(), Recovery = p.Recovery.Trim(), PriceRange = p.PriceRange.Trim(),
            PreparationNotes = p.PreparationNotes.Trim(), Active = p.Active,
        };
        try
        {
            var found = await db.WriteDataAsync(clinic, async data =>
            {
                if (p.Id is null)
                {
                    data.Procedures.Add(saved);
                    await data.SaveChangesAsync(ct);
                }
                else if (await data.Procedures.Where(x => x.Id == saved.Id).ExecuteUpdateAsync(u => u
                             .SetProperty(x => x.Name, saved.Name).SetProperty(x => x.Synonyms, saved.Synonyms)
                             .SetProperty(x => x.DurationMinutes, saved.DurationMinutes).SetProperty(x => x.BufferAfterMinutes, saved.BufferAfterMinutes)
                             .SetProperty(x => x.Description, saved.Description).SetProperty(x => x.Recovery, saved.Recovery)
                             .SetProperty(x => x.PriceRange, saved.PriceRange).SetProperty(x => x.PreparationNotes, saved.PreparationNotes)
                             .SetProperty(x => x.Active, saved.Active), ct) == 0)
                    return false;
                await data.AuditAsync(actor, p.Id is null ? "procedure.created" : "procedure.changed", "procedure", saved.Id.ToString(),
                    new { name = saved.Name, duration_minutes = saved.DurationMinutes, price_range = saved.PriceRange, saved.Active }, ct);
                return true;
            }, ct);
            if (!found) return "that procedure no longer exists";
            p.Id = saved.Id;
            return null;
        }
        catch (Exception x) when (ClinicData.Refusal(x) is { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.CheckViolation } e)
        {
            return e.SqlState == PostgresErrorCodes.UniqueViolation ? $"this clinic already has a procedure called '{p.Name.Trim()}'"
                : e.ConstraintName switch
                {
                    "procedures_duration_minutes_check" => "the duration must be between 5 and 720 minutes",
                    "procedures_buffer_after_minutes_check" => "the buffer must be between 0 and 240 minutes",
                    _ => "the name must be 1 to 200 characters",
                };
        }
    }
}
