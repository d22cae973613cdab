using System.Globalization;
using System.Text.RegularExpressions;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Shared;
using CsvHelper;
using Npgsql;

namespace ClinicPortal.Features.Import;

public enum ImportKind { Patients, Providers, Procedures }

/// <summary>Something wrong with a file: the row as a spreadsheet numbers it (the header is row 1; 0 = the file itself), the column, why.</summary>
public sealed record ImportProblem(int Row, string Column, string Reason)
{
    public override string ToString() => Row == 0 ? $"{Column}: {Reason}" : $"row {Row}, {Column}: {Reason}";
}

/// <summary>What an import did, or would do on a dry run. Nothing is written unless every row is valid.</summary>
public sealed record ImportReport(ImportKind Kind, bool DryRun, int Rows, int Added, int Updated, int Unchanged, IReadOnlyList<ImportProblem> Problems)
{
    public bool Ok => Problems.Count == 0;

    public override string ToString() => Ok
        ? $"{Kind.ToString().ToLowerInvariant()}: {Rows} row(s), {Added} added, {Updated} updated, {Unchanged} unchanged" +
          (DryRun ? " (dry run: nothing was written)" : "")
        : $"{Kind.ToString().ToLowerInvariant()}: {Problems.Count} problem(s), nothing was written:\n" + string.Join("\n", Problems.Select(p => "  " + p));
}

/// <summary>
/// Brings a clinic's patients, providers or procedures in from CSV (CsvHelper): UTF-8 with or without a byte order mark,
/// commas or semicolons (detected), quoted fields, a header row required (column names matched ignoring case). Every
/// row is checked first; any problem (listed by row, column and reason) and nothing is written. Then one transaction
/// writes it all, matching existing rows by phone, slug or name, so the same file imported again changes nothing. A
/// dry run does the same and rolls back, so its counts are the real ones. Each import (not a dry run) is audited with
/// its counts. A cell that looks like a spreadsheet formula is kept as the text it is (the portal evaluates nothing;
/// exports escape it).
/// </summary>
public static partial class CsvImport
{
    public const int MaxBytes = 10 * 1024 * 1024;

    public static readonly IReadOnlyDictionary<ImportKind, string[]> Columns = new Dictionary<ImportKind, string[]>
    {
        [ImportKind.Patients] = ["name", "phone", "email"],
        [ImportKind.Providers] = ["slug", "name", "specialty", "hours"],
        [ImportKind.Procedures] = ["name", "synonyms", "duration_minutes", "buffer_minutes", "description", "recovery", "price_range", "preparation"],
    };

    /// <summary>The columns a file of this kind must have (the others are optional).</summary>
    private static readonly IReadOnlyDictionary<ImportKind, string[]> Required = new Dictionary<ImportKind, string[]>
    {
        [ImportKind.Patients] = ["name", "phone"],
        [ImportKind.Providers] = ["slug", "name"],
        [ImportKind.Procedures] = ["name", "duration_minutes"],
    };

    private sealed record PatientRow(string Name, string Phone, string? Email);
    private sealed record ProviderRow(string Slug, string Name, string? Specialty, IReadOnlyList<(short Day, TimeOnly Starts, TimeOnly Ends)> Hours);
    private sealed record ProcedureRow(string Name, string[] Synonyms, int Duration, int Buffer, string Description, string Recovery, string PriceRange,
        string Preparation);

    public static async Task<ImportReport> RunAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, ImportKind kind, byte[] file, bool dryRun,
        string actor, CancellationToken ct = default)
    {
        var country = await conn.Command("select country from clinics where id = @clinic", tx).With("clinic", clinic).ScalarAsync<string>(ct) ?? "GB";
        var problems = new List<ImportProblem>();
        var rows = Read(file, kind, problems);
        var parsed = kind switch
        {
            ImportKind.Patients => (object)ParsePatients(rows, country, problems),
            ImportKind.Providers => ParseProviders(rows, problems),
            _ => ParseProcedures(rows, problems),
        };
        if (problems.Count > 0) return new ImportReport(kind, dryRun, rows.Count, 0, 0, 0, problems);

        await conn.Command("savepoint import", tx).RunAsync(ct);
        var (added, updated) = parsed switch
        {
            List<PatientRow> p => await WritePatientsAsync(conn, tx, clinic, p, ct),
            List<ProviderRow> p => await WriteProvidersAsync(conn, tx, clinic, p, ct),
            List<ProcedureRow> p => await WriteProceduresAsync(conn, tx, clinic, p, ct),
            _ => (0, 0),
        };
        if (dryRun) await conn.Command("rollback to savepoint import", tx).RunAsync(ct);
        else
            await conn.Command("""
                select audit(@actor, 'import.applied', 'clinic', @clinic::text,
                             jsonb_build_object('kind', @kind, 'rows', @rows, 'added', @added, 'updated', @updated))
                """, tx).With("actor", actor).With("clinic", clinic).With("kind", kind.ToString().ToLowerInvariant()).With("rows", rows.Count)
                .With("added", added).With("updated", updated).RunAsync(ct);
        return new ImportReport(kind, dryRun, rows.Count, added, updated, rows.Count - added - updated, []);
    }

    /// <summary>The data rows as column → value (trimmed), or a file-level problem.</summary>
    private static List<Dictionary<string, string>> Read(byte[] file, ImportKind kind, List<ImportProblem> problems)
    {
        var rows = new List<Dictionary<string, string>>();
        if (file.Length == 0) { problems.Add(new(0, "file", "the file is empty")); return rows; }
        if (file.Length > MaxBytes) { problems.Add(new(0, "file", $"the file is over {MaxBytes / 1024 / 1024} MB")); return rows; }
        try
        {
            using var csv = CsvReader.Create(file, new CsvReaderOptions { TrimWhitespace = true });
            csv.ReadHeader();
            var headers = csv.Headers.Select(h => h.Trim().ToLowerInvariant().Replace(' ', '_')).ToList();
            foreach (var column in Required[kind].Where(c => !headers.Contains(c)))
                problems.Add(new(0, column, $"the header has no '{column}' column (expected: {string.Join(", ", Columns[kind])})"));
            foreach (var unknown in headers.Where(h => !Columns[kind].Contains(h)))
                problems.Add(new(0, unknown, $"'{unknown}' is not a column of a {kind.ToString().ToLowerInvariant()} file (expected: {string.Join(", ", Columns[kind])})"));
            if (problems.Count > 0) return rows;
            while (csv.Read())
            {
                var row = new Dictionary<string, string>();
                for (var i = 0; i < headers.Count; i++) row[headers[i]] = i < csv.FieldCount ? csv.GetString(i).Trim() : "";
                rows.Add(row);
            }
        }
        catch (Exception e) when (e is CsvFormatException or FormatException or InvalidDataException or System.Text.DecoderFallbackException)
        {
            problems.Add(new(0, "file", "it is not a readable CSV file: " + e.Message));
        }
        if (rows.Count == 0 && problems.Count == 0) problems.Add(new(0, "file", "the file has a header but no rows"));
        return rows;
    }

    private static List<PatientRow> ParsePatients(List<Dictionary<string, string>> rows, string country, List<ImportProblem> problems)
    {
        var result = new List<PatientRow>();
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (r, n) = (rows[i], i + 2);
            var name = Text(r, "name", n, 200, problems, required: true);
            var email = Get(r, "email") is { Length: > 0 } e ? e : null;
            if (email is not null && !System.Net.Mail.MailAddress.TryCreate(email, out _)) problems.Add(new(n, "email", $"'{email}' is not an email address"));
            string? phone = null;
            switch (Phone.Check(Get(r, "phone"), country))
            {
                case PhoneCheck.Invalid invalid: problems.Add(new(n, "phone", invalid.Reason)); break;
                case PhoneCheck.Valid valid when seen.TryGetValue(valid.E164, out var first):
                    problems.Add(new(n, "phone", $"{valid.E164} is on row {first} too: one row per patient")); break;
                case PhoneCheck.Valid valid: phone = valid.E164; seen[phone] = n; break;
            }
            if (name is not null && phone is not null) result.Add(new PatientRow(name, phone, email));
        }
        return result;
    }

    private static List<ProviderRow> ParseProviders(List<Dictionary<string, string>> rows, List<ImportProblem> problems)
    {
        var result = new List<ProviderRow>();
        var seen = new HashSet<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (r, n) = (rows[i], i + 2);
            var slug = Get(r, "slug").ToLowerInvariant();
            if (!SlugPattern().IsMatch(slug)) { problems.Add(new(n, "slug", $"'{slug}' is not a slug (2 to 60 lowercase letters, digits and hyphens)")); slug = ""; }
            else if (!seen.Add(slug)) { problems.Add(new(n, "slug", $"'{slug}' is on an earlier row too")); slug = ""; }
            var name = Text(r, "name", n, 200, problems, required: true);
            var specialty = Text(r, "specialty", n, 200, problems, required: false);
            var hours = Hours(Get(r, "hours"), n, problems);
            if (slug.Length > 0 && name is not null && hours is not null) result.Add(new ProviderRow(slug, name, specialty, hours));
        }
        return result;
    }

    private static List<ProcedureRow> ParseProcedures(List<Dictionary<string, string>> rows, List<ImportProblem> problems)
    {
        var result = new List<ProcedureRow>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rows.Count; i++)
        {
            var (r, n) = (rows[i], i + 2);
            var name = Text(r, "name", n, 200, problems, required: true);
            if (name is not null && !seen.Add(name)) { problems.Add(new(n, "name", $"'{name}' is on an earlier row too")); name = null; }
            var duration = Number(r, "duration_minutes", n, 5, 720, null, problems);
            var buffer = Number(r, "buffer_minutes", n, 0, 240, 0, problems);
            var synonyms = Get(r, "synonyms").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (synonyms.Any(s => s.Length > 200)) problems.Add(new(n, "synonyms", "a synonym may be at most 200 characters"));
            var texts = new[] { "description", "recovery", "price_range", "preparation" }.Select(c => Text(r, c, n, 4000, problems, required: false) ?? "").ToArray();
            if (name is not null && duration is { } d && buffer is { } b)
                result.Add(new ProcedureRow(name, synonyms, d, b, texts[0], texts[1], texts[2], texts[3]));
        }
        return result;
    }

    /// <summary>"Mon 09:00-17:00; Tue 09:00-13:00" (days as three letters or in full, several spans a day allowed); empty: no hours.</summary>
    private static List<(short, TimeOnly, TimeOnly)>? Hours(string text, int row, List<ImportProblem> problems)
    {
        var hours = new List<(short Day, TimeOnly Starts, TimeOnly Ends)>();
        foreach (var part in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var m = HoursPattern().Match(part);
            var day = m.Success ? Array.FindIndex(Days, d => m.Groups["day"].Value.StartsWith(d, StringComparison.OrdinalIgnoreCase)) : -1;
            if (!m.Success || day < 0
                || !TimeOnly.TryParseExact(m.Groups["from"].Value, "H:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
                || !TimeOnly.TryParseExact(m.Groups["to"].Value, "H:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to))
            {
                problems.Add(new(row, "hours", $"'{part}' is not a day and hours such as 'Mon 09:00-17:00'"));
                return null;
            }
            if (to <= from) { problems.Add(new(row, "hours", $"'{part}' ends before it starts")); return null; }
            if (hours.Any(h => h.Day == day + 1 && h.Starts < to && from < h.Ends)) { problems.Add(new(row, "hours", $"'{part}' overlaps another span that day")); return null; }
            hours.Add(((short)(day + 1), from, to));
        }
        return hours;
    }

    private static readonly string[] Days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    private static string Get(Dictionary<string, string> row, string column) => row.TryGetValue(column, out var v) ? v : "";

    private static string? Text(Dictionary<string, string> row, string column, int n, int max, List<ImportProblem> problems, bool required)
    {
        var value = Get(row, column);
        if (value.Length == 0)
        {
            if (required) problems.Add(new(n, column, "it is empty"));
            return null;
        }
        if (value.Length > max) { problems.Add(new(n, column, $"it is longer than {max} characters")); return null; }
        return value;
    }

    private static int? Number(Dictionary<string, string> row, string column, int n, int min, int max, int? empty, List<ImportProblem> problems)
    {
        var value = Get(row, column);
        if (value.Length == 0 && empty is not null) return empty;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            problems.Add(new(n, column, $"'{value}' is not a whole number from {min} to {max}"));
            return null;
        }
        return number;
    }

    /// <summary>All patients in one statement: new numbers inserted, changed names or emails updated, the rest left alone.</summary>
    private static async Task<(int Added, int Updated)> WritePatientsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, List<PatientRow> rows,
        CancellationToken ct)
    {
        var changed = await conn.Command("""
            insert into patients (clinic_id, name, phone, email)
            select @clinic, n, p, e from unnest(@names, @phones, @emails) as r(n, p, e)
            on conflict (clinic_id, phone) do update set name = excluded.name, email = coalesce(excluded.email, patients.email)
             where (patients.name, patients.email) is distinct from (excluded.name, coalesce(excluded.email, patients.email))
            returning xmax = 0
            """, tx).With("clinic", clinic).With("names", rows.Select(r => r.Name).ToArray()).With("phones", rows.Select(r => r.Phone).ToArray())
            .With("emails", rows.Select(r => r.Email).ToArray()).ListAsync(r => r.GetBoolean(0), ct);
        return (changed.Count(inserted => inserted), changed.Count(inserted => !inserted));
    }

    private static async Task<(int Added, int Updated)> WriteProvidersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, List<ProviderRow> rows,
        CancellationToken ct)
    {
        var (added, updated) = (0, 0);
        foreach (var p in rows)
        {
            var before = await conn.Command("select id, name, specialty from providers where slug = @slug", tx).With("slug", p.Slug)
                .FirstOrDefaultAsync(r => (Id: (Guid?)r.GetGuid(0), Name: r.GetString(1), Specialty: r.Value<string>(2)), ct);
            var id = before.Id ?? Guid.CreateVersion7();
            var hoursBefore = before.Id is null ? [] : await conn.Command(
                    "select weekday, starts_at, ends_at from working_hours where provider_id = @id order by weekday, starts_at", tx)
                .With("id", id).ListAsync(r => (r.GetInt16(0), r.GetFieldValue<TimeOnly>(1), r.GetFieldValue<TimeOnly>(2)), ct);
            var sameHours = hoursBefore.SequenceEqual(p.Hours.OrderBy(h => h.Day).ThenBy(h => h.Starts));
            if (before.Id is not null && before.Name == p.Name && before.Specialty == p.Specialty && sameHours) continue;
            await conn.Command("""
                insert into providers (clinic_id, id, slug, name, specialty) values (@clinic, @id, @slug, @name, @specialty)
                on conflict (clinic_id, slug) do update set name = excluded.name, specialty = excluded.specialty
                """, tx).With("clinic", clinic).With("id", id).With("slug", p.Slug).With("name", p.Name).With("specialty", p.Specialty).RunAsync(ct);
            if (!sameHours)
            {
                await conn.Command("delete from working_hours where provider_id = @id", tx).With("id", id).RunAsync(ct);
                foreach (var (day, starts, ends) in p.Hours)
                    await conn.Command("insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at) values (@clinic, @id, @day, @starts, @ends)", tx)
                        .With("clinic", clinic).With("id", id).With("day", day).With("starts", starts).With("ends", ends).RunAsync(ct);
            }
            if (before.Id is null) added++; else updated++;
        }
        return (added, updated);
    }

    private static async Task<(int Added, int Updated)> WriteProceduresAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, List<ProcedureRow> rows,
        CancellationToken ct)
    {
        var (added, updated) = (0, 0);
        foreach (var p in rows)
        {
            var outcome = await conn.Command("""
                insert into procedures (clinic_id, name, synonyms, duration_minutes, buffer_after_minutes, description, recovery, price_range, preparation_notes)
                values (@clinic, @name, @synonyms, @duration, @buffer, @description, @recovery, @price, @preparation)
                on conflict (clinic_id, name) do update set synonyms = excluded.synonyms, duration_minutes = excluded.duration_minutes,
                    buffer_after_minutes = excluded.buffer_after_minutes, description = excluded.description, recovery = excluded.recovery,
                    price_range = excluded.price_range, preparation_notes = excluded.preparation_notes
                 where (procedures.synonyms, procedures.duration_minutes, procedures.buffer_after_minutes, procedures.description, procedures.recovery,
                        procedures.price_range, procedures.preparation_notes)
                       is distinct from (excluded.synonyms, excluded.duration_minutes, excluded.buffer_after_minutes, excluded.description,
                        excluded.recovery, excluded.price_range, excluded.preparation_notes)
                returning xmax = 0
                """, tx).With("clinic", clinic).With("name", p.Name).With("synonyms", p.Synonyms).With("duration", p.Duration).With("buffer", p.Buffer)
                .With("description", p.Description).With("recovery", p.Recovery).With("price", p.PriceRange).With("preparation", p.Preparation)
                .FirstOrDefaultAsync(r => (bool?)r.GetBoolean(0), ct);
            if (outcome == true) added++;
            else if (outcome == false) updated++;
        }
        return (added, updated);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,59}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^(?<day>[A-Za-z]{3,9})\s+(?<from>\d{1,2}:\d{2})\s*-\s*(?<to>\d{1,2}:\d{2})$")]
    private static partial Regex HoursPattern();
}
