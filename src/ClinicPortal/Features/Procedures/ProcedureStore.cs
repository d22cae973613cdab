using ClinicPortal.Infrastructure.Database;
using Dapper;
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
    public Task<List<ProcedureEdit>> ListAsync(Guid clinic, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
        (await data.Procedures.OrderByDescending(p => p.Active).ThenBy(p => p.Name).ToListAsync(ct)).Select(p => new ProcedureEdit
        {
            Id = p.Id, Name = p.Name, Synonyms = string.Join(", ", p.Synonyms), DurationMinutes = p.DurationMinutes, BufferAfterMinutes = p.BufferAfterMinutes,
            Description = p.Description, Recovery = p.Recovery, PriceRange = p.PriceRange, PreparationNotes = p.PreparationNotes, Active = p.Active,
        }).ToList(), ct);

    /// <summary>Inserts or updates; the database's checks decide what is valid, and their refusal comes back as a sentence.</summary>
    public async Task<string?> SaveAsync(Guid clinic, ProcedureEdit p, string actor, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(p.Name)) return "a procedure needs a name";
        try
        {
            var args = new
            {
                clinic, id = p.Id, name = p.Name.Trim(), synonyms = p.SynonymList, p.DurationMinutes, p.BufferAfterMinutes, description = p.Description.Trim(),
                recovery = p.Recovery.Trim(), priceRange = p.PriceRange.Trim(), preparationNotes = p.PreparationNotes.Trim(), p.Active,
            };
            var id = await db.WriteAsync(clinic, async (conn, tx) =>
            {
                var saved = await conn.ExecuteScalarAsync<Guid?>(p.Id is null
                    ? """
                      insert into procedures (clinic_id, name, synonyms, duration_minutes, buffer_after_minutes, description, recovery, price_range,
                                              preparation_notes, active)
                      values (@clinic, @name, @synonyms, @DurationMinutes, @BufferAfterMinutes, @description, @recovery, @priceRange, @preparationNotes, @Active)
                      returning id
                      """
                    : """
                      update procedures set name = @name, synonyms = @synonyms, duration_minutes = @DurationMinutes, buffer_after_minutes = @BufferAfterMinutes,
                             description = @description, recovery = @recovery, price_range = @priceRange, preparation_notes = @preparationNotes, active = @Active
                       where clinic_id = @clinic and id = @id
                      returning id
                      """, args, tx);
                if (saved is null) return null;
                await conn.ExecuteAsync("select audit(@actor, @action, 'procedure', @id::text, @detail::jsonb)", new
                {
                    actor, action = p.Id is null ? "procedure.created" : "procedure.changed", id = saved,
                    detail = System.Text.Json.JsonSerializer.Serialize(new { name = args.name, duration_minutes = p.DurationMinutes, price_range = args.priceRange, p.Active }),
                }, tx);
                return saved;
            }, ct);
            if (id is null) return "that procedure no longer exists";
            p.Id = id;
            return null;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.CheckViolation)
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
