using System.Text;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Audit;

public sealed record AuditRow(long Id, DateTime OccurredAt, string Actor, string Action, string SubjectType, string SubjectId, string Detail,
    long? Seq, string? Hash);

public sealed record AuditFilter(DateTime? FromUtc, DateTime? ToUtc, string? Action, string? Actor, string? Subject)
{
    public object Parameters(Guid clinic) => new
    {
        clinic, fromUtc = FromUtc, toUtc = ToUtc, action = Blank(Action), actor = Blank(Actor), subject = Blank(Subject),
    };

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>The admin's view of a clinic's audit trail: filtered pages, the list of actions, CSV export.</summary>
public sealed class AuditLogStore(ClinicDb db)
{
    public const int ExportLimit = 100_000;

    private const string Where = """
          from audit_log l
          left join audit_seals s on s.clinic_id = l.clinic_id and s.audit_id = l.id
         where (@fromUtc::timestamptz is null or l.occurred_at >= @fromUtc) and (@toUtc::timestamptz is null or l.occurred_at < @toUtc)
           and (@action::text is null or l.action = @action)
           and (@actor::text is null or l.actor ilike '%' || @actor || '%')
           and (@subject::text is null or l.subject_id ilike '%' || @subject || '%' or l.subject_type = @subject)
        """;

    private const string Columns = """
        select l.id, l.occurred_at as OccurredAt, l.actor, l.action, l.subject_type as SubjectType, l.subject_id as SubjectId,
               l.detail::text as Detail, s.seq, encode(s.hash, 'hex') as Hash
        """;

    /// <summary>One page of the filtered trail (LINQ through EF Core), newest first unless asked otherwise, how many match, and the actions there are.</summary>
    public Task<(IReadOnlyList<AuditRow> Rows, int Total, IReadOnlyList<string> Actions)> SearchAsync(Guid clinic, AuditFilter f, int skip, int take,
        bool oldestFirst = false, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
    {
        var q = data.AuditLog.AsQueryable();
        if (f.FromUtc is { } from) q = q.Where(l => l.OccurredAt >= from);
        if (f.ToUtc is { } to) q = q.Where(l => l.OccurredAt < to);
        if (Blank(f.Action) is { } action) q = q.Where(l => l.Action == action);
        if (Blank(f.Actor) is { } actor) q = q.Where(l => EF.Functions.ILike(l.Actor, "%" + actor + "%"));
        if (Blank(f.Subject) is { } subject) q = q.Where(l => EF.Functions.ILike(l.SubjectId, "%" + subject + "%") || l.SubjectType == subject);
        var total = await q.CountAsync(ct);
        var page = await (oldestFirst ? q.OrderBy(l => l.Id) : q.OrderByDescending(l => l.Id)).Skip(skip).Take(Math.Clamp(take, 1, 200))
            .Select(l => new { l.Id, l.OccurredAt, l.Actor, l.Action, l.SubjectType, l.SubjectId, l.Detail, Seq = (long?)l.Seal!.Seq, Hash = l.Seal!.Hash })
            .ToListAsync(ct);
        var actions = await data.AuditLog.Select(l => l.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
        IReadOnlyList<AuditRow> rows = page.Select(l => new AuditRow(l.Id, l.OccurredAt, l.Actor, l.Action, l.SubjectType, l.SubjectId, l.Detail, l.Seq,
            l.Hash is null ? null : Convert.ToHexStringLower(l.Hash))).ToList();
        return (rows, total, (IReadOnlyList<string>)actions);
    }, ct);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>Writes the filtered rows as CSV (RFC 4180), oldest first, and audits the export itself.</summary>
    public async Task<int> ExportCsvAsync(Guid clinic, AuditFilter f, string actor, Stream output, CancellationToken ct = default)
    {
        return await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var p = new DynamicParameters(f.Parameters(clinic));
            p.Add("limit", ExportLimit);
            var rows = await conn.QueryAsync<AuditRow>($"{Columns} {Where} order by l.id limit @limit", p, tx);
            var count = await AuditCsv.WriteAsync(rows, output, ct);
            await conn.ExecuteAsync("select audit(@actor, 'audit.exported', 'audit_log', 'csv', @detail::jsonb)",
                new { actor, detail = System.Text.Json.JsonSerializer.Serialize(new { rows = count, filter = f }) }, tx);
            return count;
        }, ct);
    }
}
