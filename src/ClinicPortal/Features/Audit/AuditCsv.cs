using System.Globalization;
using CsvHelper;

namespace ClinicPortal.Features.Audit;

/// <summary>
/// The audit export's CSV (RFC 4180, CsvHelper). Formula-safe: a text field that a spreadsheet would run (one
/// starting with = + - @, a tab or a carriage return) gets a leading quote mark, and is quoted.
/// </summary>
public static class AuditCsv
{
    private static readonly CsvWriterOptions Options = new() { Injection = CsvInjection.Escape, NewLine = "\n" };

    private static readonly string[] Header = ["id", "occurred_at_utc", "actor", "action", "subject_type", "subject_id", "detail", "chain_seq", "chain_hash"];

    /// <summary>Writes the header and the rows (UTF-8, no byte order mark); returns how many rows were written.</summary>
    public static async Task<int> WriteAsync(IEnumerable<AuditRow> rows, Stream output, CancellationToken ct = default)
    {
        await using var csv = CsvWriter.Create(output, Options, leaveOpen: true);
        csv.WriteHeader(Header);
        var count = 0;
        foreach (var r in rows)
        {
            csv.WriteField(r.Id.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.OccurredAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            csv.WriteField(r.Actor);
            csv.WriteField(r.Action);
            csv.WriteField(r.SubjectType);
            csv.WriteField(r.SubjectId);
            csv.WriteField(r.Detail);
            csv.WriteField(r.Seq?.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.Hash);
            await csv.EndRecordAsync(ct);
            count++;
        }
        await csv.FlushAsync(ct);
        return count;
    }
}
