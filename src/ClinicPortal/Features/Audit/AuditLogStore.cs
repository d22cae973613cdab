using System.Text;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Audit;

public sealed record AuditRow(long Id, DateTime OccurredAt, string Actor, string Action, string SubjectType, string SubjectId, string Detail,
    long? Seq, string? Hash);

public sealed record AuditFilter(DateTime? FromUtc, DateTime? ToUtc, string? Action, string? Actor, string? Subject)
{
    /// <summary>The audit rows this filter keeps (an empty or blank field keeps everything).</summary>
    public IQueryable<AuditLogEntry> Apply(IQueryable<AuditLogEntry> q)
    {
        if (FromUtc is { } from) q = q.Where(l => l.OccurredAt >= from);
        if (ToUtc is { } to) q = q.Where(l => l.OccurredAt < to);
        if (Blank(Action) is { } action) q = q.Where(l => l.Action == action);
        if (Blank(Actor) is { } actor) q = q.Where(l => EF.Functions.ILike(l.Actor, "%" + actor + "%"));
        if (Blank(Subject) is { } subject) q = q.Where(l => EF.Functions.ILike(l.SubjectId, "%" + subject + "%") || l.SubjectType == subject);
        return q;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>The admin's view of a clinic's audit trail: filtered pages, the list of actions, CSV export.</summary>
public sealed class AuditLogStore(ClinicDb db)
{
    public const int ExportLimit = 100_000;

    /// <summary>One page of the filtered trail (LINQ through EF Core), newest first unless asked otherwise, how many match, and the actions there are.</summary>
    public Task<(IReadOnlyList<AuditRow> Rows, int Total, IReadOnlyList<string> Actions)> SearchAsync(Guid clinic, AuditFilter f, int skip, int take,
        bool oldestFirst = false, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
    {
        var q = f.Apply(data.AuditLog);
        var total = await q.CountAsync(ct);
        var rows = await Rows((oldestFirst ? q.OrderBy(l => l.Id) : q.OrderByDescending(l => l.Id)).Skip(skip).Take(Math.Clamp(take, 1, 200)), ct);
        var actions = await data.AuditLog.Select(l => l.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
        return (rows, total, (IReadOnlyList<string>)actions);
    }, ct);

    /// <summary>The rows with their seal (sequence and hash in hex), or none yet.</summary>
    private static async Task<IReadOnlyList<AuditRow>> Rows(IQueryable<AuditLogEntry> q, CancellationToken ct) =>
        (await q.Select(l => new { l.Id, l.OccurredAt, l.Actor, l.Action, l.SubjectType, l.SubjectId, l.Detail, Seq = (long?)l.Seal!.Seq, Hash = l.Seal!.Hash })
            .ToListAsync(ct))
        .Select(l => new AuditRow(l.Id, l.OccurredAt, l.Actor, l.Action, l.SubjectType, l.SubjectId, l.Detail, l.Seq,
            l.Hash is null ? null : Convert.ToHexStringLower(l.Hash))).ToList();

    /// <summary>Writes the filtered rows as CSV (RFC 4180), oldest first, and audits the export itself.</summary>
    public async Task<int> ExportCsvAsync(Guid clinic, AuditFilter f, string actor, Stream output, CancellationToken ct = default)
    {
        return await db.WriteDataAsync(clinic, async data =>
        {
            var rows = await Rows(f.Apply(data.AuditLog).OrderBy(l => l.Id).Take(ExportLimit), ct);
            var count = await AuditCsv.WriteAsync(rows, output, ct);
            await data.AuditAsync(actor, "audit.exported", "audit_log", "csv", new { rows = count, filter = f }, ct);
            return count;
        }, ct);
    }
}
