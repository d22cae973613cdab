using System.Net;
using ClinicPortal.Features.Audit;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Audit;

[Collection(PortalCollection.Name)]
public sealed class AuditLogPageTests(ClinicPortalFactory portal)
{
    [Theory]
    [InlineData("/admin/audit")]
    [InlineData("/admin/audit.csv")]
    public async Task A_staff_member_is_sent_to_not_allowed_for_admin_pages(string path)
    {
        var clinic = await portal.CreateClinicAsync();
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "staff"));

        var response = await session.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/not-allowed", response.Headers.Location!.PathAndQuery);
        var page = await session.Client.GetStringAsync("/not-allowed");
        Assert.Contains("Your role in this clinic does not include this page", page);
    }

    [Fact]
    public async Task An_admin_sees_the_audit_log_page()
    {
        var clinic = await portal.CreateClinicAsync();
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "admin"));

        var response = await session.Client.GetAsync("/admin/audit");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Audit log", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_csv_export_holds_the_filtered_rows_of_the_admins_clinic_only_and_is_itself_audited()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        await clinic.BookAsync("dr-a", date, "10:00");
        await clinic.BookAsync("dr-a", date, "10:00", phone: "+447700100002"); // a conflict
        await other.BookAsync("dr-a", date, "10:00");
        var admin = await StaffSession.NewAccountAsync(portal, clinic, "admin");
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(admin);

        var response = await session.Client.GetAsync("/admin/audit.csv?action=appointment.booked");
        var lines = (await response.Content.ReadAsStringAsync()).TrimEnd().Split('\n');

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("id,occurred_at_utc,actor,action", lines[0]);
        Assert.Single(lines[1..]);
        Assert.Contains(",appointment.booked,appointment,", lines[1]);
        Assert.Equal(1, await clinic.CountAsync("audit_log", $"action = 'audit.exported' and actor = 'staff:{admin}'"));
        Assert.Equal(0, await other.CountAsync("audit_log", "action = 'audit.exported'"));
    }

    [Fact]
    public async Task A_bad_date_in_the_export_gets_a_400_problem()
    {
        var clinic = await portal.CreateClinicAsync();
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "admin"));

        var response = await session.Client.GetAsync("/admin/audit.csv?from=yesterday");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=1+1", "\"'=1+1\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("\t=cmd", "\"'\t=cmd\"")]
    [InlineData("\r=cmd", "\"'\r=cmd\"")]
    [InlineData("line\nbreak", "\"line\nbreak\"")]
    public async Task Csv_fields_are_quoted_and_formulas_neutralised(string value, string expected)
    {
        var row = new AuditRow(7, new DateTime(2030, 1, 7, 9, 0, 0, DateTimeKind.Utc), value, "a", "b", "c", "{}", null, null);
        using var output = new MemoryStream();

        Assert.Equal(1, await AuditCsv.WriteAsync([row], output));

        var csv = System.Text.Encoding.UTF8.GetString(output.ToArray());
        Assert.Equal($"7,2030-01-07T09:00:00.000000Z,{expected},a,b,c,{{}},,", csv.Split('\n', 2)[1].TrimEnd('\n'));
    }
}
