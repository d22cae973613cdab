using System.Diagnostics;
using System.Text;
using ClinicPortal.Features.Import;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ClinicPortal.Tests.Import;

/// <summary>CSV import of patients, providers and procedures on the real database: checked first, all or nothing, idempotent, audited.</summary>
[Collection(PortalCollection.Name)]
public sealed class CsvImportTests(ClinicPortalFactory portal, ITestOutputHelper output)
{
    private Task<ImportReport> ImportAsync(TestClinic clinic, ImportKind kind, string csv, bool dryRun = false, bool bom = false) =>
        portal.Services.GetRequiredService<ClinicDb>().WriteAsync(clinic.Id, (conn, tx) => CsvImport.RunAsync(conn, tx, clinic.Id, kind,
            [.. (bom ? Encoding.UTF8.GetPreamble() : []), .. Encoding.UTF8.GetBytes(csv)], dryRun, "staff:admin@example.com"));

    [Fact]
    public async Task Patients_from_a_semicolon_file_with_a_bom_and_quotes_import_once_and_again_change_nothing()
    {
        var clinic = await portal.CreateClinicAsync();
        var (a, b) = (Phones.Unique(), Phones.Unique());
        var csv = $"""
            Name;Phone;Email
            "Okafor, Ada";{"0" + a[3..]};ada@example.org
            =HYPERLINK("http://evil.example");{b};
            """;

        var dry = await ImportAsync(clinic, ImportKind.Patients, csv, dryRun: true, bom: true);
        Assert.True(dry.Ok, dry.ToString());
        Assert.Equal((2, 2, 0, 0), (dry.Rows, dry.Added, dry.Updated, dry.Unchanged));
        Assert.Equal(0, await clinic.CountAsync("patients"));

        var done = await ImportAsync(clinic, ImportKind.Patients, csv, bom: true);
        Assert.Equal((2, 0), (done.Added, done.Updated));
        Assert.Equal(1, await clinic.CountAsync("patients", $"name = 'Okafor, Ada' and phone = '{a}' and email = 'ada@example.org'"));
        Assert.Equal(1, await clinic.CountAsync("patients", $"name = '=HYPERLINK(\"http://evil.example\")' and phone = '{b}'")); // kept as the text it is

        var again = await ImportAsync(clinic, ImportKind.Patients, csv, bom: true);
        Assert.Equal((0, 0, 2), (again.Added, again.Updated, again.Unchanged));
        var changed = await ImportAsync(clinic, ImportKind.Patients, csv.Replace("ada@example.org", "ada@new.example"), bom: true);
        Assert.Equal((0, 1, 1), (changed.Added, changed.Updated, changed.Unchanged));
        Assert.Equal(3, await clinic.CountAsync("audit_log", "action = 'import.applied' and detail->>'kind' = 'patients'")); // not the dry run
        Assert.Equal(0, await clinic.CountAsync("audit_log", $"action = 'import.applied' and detail::text like '%{a[^6..]}%'")); // no identifiers
    }

    [Fact]
    public async Task Every_problem_is_listed_by_row_and_column_and_nothing_is_written_not_even_the_good_rows()
    {
        var clinic = await portal.CreateClinicAsync();
        var good = Phones.Unique();
        var csv = $"""
            name,phone,email
            Good Row,{good},
            ,{Phones.Unique()},
            Bad Phone,12345,
            Twice,{good},
            Bad Email,{Phones.Unique()},not-an-email
            """;

        var report = await ImportAsync(clinic, ImportKind.Patients, csv);

        Assert.False(report.Ok);
        Assert.Equal(["row 3, name: it is empty", "row 4, phone", "row 5, phone: " + good + " is on row 2 too: one row per patient",
                      "row 6, email: 'not-an-email' is not an email address"],
            report.Problems.Select(p => p.Row == 4 ? $"row 4, {p.Column}" : p.ToString()));
        Assert.Equal(0, await clinic.CountAsync("patients"));
        Assert.Equal(0, await clinic.CountAsync("audit_log", "action = 'import.applied'"));

        var columns = await ImportAsync(clinic, ImportKind.Patients, "name,mobile\nA,07700100001\n");
        Assert.Contains(columns.Problems, p => p.Column == "phone" && p.Reason.Contains("no 'phone' column"));
        Assert.Contains(columns.Problems, p => p.Column == "mobile" && p.Reason.Contains("is not a column"));
        Assert.Contains("header but no rows", (await ImportAsync(clinic, ImportKind.Patients, "name,phone\n")).Problems.Single().Reason);
        Assert.Contains("empty", (await ImportAsync(clinic, ImportKind.Patients, "")).Problems.Single().Reason);
    }

    [Fact]
    public async Task Providers_come_with_their_weekly_hours_and_bad_hours_are_named()
    {
        var clinic = await portal.CreateClinicAsync();
        const string csv = """
            slug,name,specialty,hours
            dr-new,Dr New Person,Dermatology,Mon 09:00-17:00; Tue 09:00-13:00; Tuesday 14:00-18:00
            dr-a,Dr Ada A,General,Sat 10:00-14:00
            """;

        var done = await ImportAsync(clinic, ImportKind.Providers, csv);
        Assert.True(done.Ok, done.ToString());
        Assert.Equal((1, 1), (done.Added, done.Updated)); // dr-a existed with other hours
        Assert.Equal(3, await clinic.CountAsync("working_hours", "provider_id in (select id from providers where slug = 'dr-new' and clinic_id = @Id)"));
        Assert.Equal(1, await clinic.CountAsync("working_hours", "provider_id in (select id from providers where slug = 'dr-a' and clinic_id = @Id)"));
        Assert.Equal((0, 0, 2), await Counts(ImportAsync(clinic, ImportKind.Providers, csv)));

        var bad = await ImportAsync(clinic, ImportKind.Providers, "slug,name,hours\nDr X!,Dr X,Mon 9-5\nok-slug,Dr Y,Mon 17:00-09:00\nok-two,Dr Z,Mon 09:00-12:00; Mon 11:00-13:00\n");
        Assert.Equal(["row 2, slug", "row 2, hours", "row 3, hours: 'Mon 17:00-09:00' ends before it starts", "row 4, hours: 'Mon 11:00-13:00' overlaps another span that day"],
            bad.Problems.Select(p => p.Row == 2 ? $"row 2, {p.Column}" : p.ToString()));
    }

    [Fact]
    public async Task Procedures_import_with_their_synonyms_and_the_voice_agent_finds_them()
    {
        var clinic = await portal.CreateClinicAsync();
        const string csv = """
            name,synonyms,duration_minutes,buffer_minutes,description,recovery,price_range,preparation
            Microneedling,collagen induction; skin needling,60,15,Fine needles prompt new collagen.,Redness for a day,£180-£250,No retinoids for 3 days
            Lip filler,lip augmentation,45,15,Hyaluronic acid filler.,Swelling for 2-3 days,£320-£460,
            """;

        var done = await ImportAsync(clinic, ImportKind.Procedures, csv);

        Assert.Equal((1, 1), (done.Added, done.Updated)); // Lip filler existed: its price and synonyms changed
        var found = await clinic.CallToolAsync("lookup_procedure", new { query = "skin needling" });
        Assert.Equal("Microneedling", found.GetProperty("procedure").GetProperty("name").GetString());
        Assert.Equal("£320-£460", (await clinic.CallToolAsync("lookup_procedure", new { query = "lip filler" })).GetProperty("procedure").GetProperty("price_range").GetString());
        Assert.Contains("'3' is not a whole number from 5 to 720",
            (await ImportAsync(clinic, ImportKind.Procedures, "name,duration_minutes\nQuick,3\n")).Problems.Single().Reason);
    }

    [Fact]
    public async Task Ten_thousand_patients_import_in_one_transaction_and_the_command_line_reports_the_same()
    {
        var clinic = await portal.CreateClinicAsync();
        var rows = new StringBuilder("name,phone,email\n");
        var baseNumber = 447800000000L + Random.Shared.Next(0, 80) * 100_000L; // a block of +44 78… numbers no other test uses
        for (var i = 0; i < 10_000; i++) rows.Append($"Patient {i},+{baseNumber + i},p{i}@example.org\n");
        var file = Path.Combine(Path.GetTempPath(), $"patients-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, rows.ToString());
        try
        {
            var watch = Stopwatch.StartNew();
            var report = await ImportAsync(clinic, ImportKind.Patients, rows.ToString());
            output.WriteLine($"10,000 patient rows imported in {watch.Elapsed.TotalSeconds:0.00} s (checked, written and audited in one transaction)");
            Assert.Equal((10_000, 10_000), (report.Rows, report.Added));
            Assert.Equal(10_000, await clinic.CountAsync("patients"));

            var cli = await PortalProcess.CommandAsync(portal.Database, "import", "patients", "--clinic", clinic.Slug, file, "--dry-run");
            Assert.True(cli.ExitCode == 0, cli.Stderr);
            Assert.True(cli.Stdout.Contains("10000 row(s), 0 added, 0 updated, 10000 unchanged (dry run: nothing was written)"), cli.Stdout);
            await File.WriteAllTextAsync(file, "name,phone\nNobody,12345\n");
            var invalid = await PortalProcess.CommandAsync(portal.Database, "import", "patients", "--clinic", clinic.Slug, file);
            Assert.Equal(1, invalid.ExitCode);
            Assert.Contains("row 2, phone", invalid.Stdout);
            Assert.Equal(2, (await PortalProcess.CommandAsync(portal.Database, "import", "patients", "--clinic", clinic.Slug)).ExitCode); // no file
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<(int, int, int)> Counts(Task<ImportReport> report)
    {
        var r = await report;
        Assert.True(r.Ok, r.ToString());
        return (r.Added, r.Updated, r.Unchanged);
    }
}
