using System.Net;
using System.Reflection;
using ClinicPortal.Features.Staff;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;

namespace ClinicPortal.Tests.Staff;

[Collection(PortalCollection.Name)]
public sealed class PageAuthorizationTests(ClinicPortalFactory portal)
{
    /// <summary>
    /// The pages anyone may open: sign-in, what text messages link to (read-only, nothing about any patient), and
    /// the page that says a page does not exist.
    /// </summary>
    private static readonly string[] PublicPages = ["/sign-in", "/i/{ClinicSlug}", "/i/{ClinicSlug}/{ProcedureId:guid}", "/c/{Token}", "/not-found"];

    private static IEnumerable<(Type Type, string Route)> Routes() => typeof(Program).Assembly.GetTypes()
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>().Select(r => (t, r.Template)));

    /// <summary>Every staff page of the portal, found by reflection so a new page cannot be forgotten here.</summary>
    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (var (_, route) in Routes().Where(r => r.Route == "/sign-in" || !PublicPages.Contains(r.Route))) data.Add(route);
        return data;
    }

    [Fact]
    public void Only_the_listed_public_pages_let_anyone_in()
    {
        var anonymous = Routes().Where(r => r.Type.GetCustomAttribute<AllowAnonymousAttribute>() is not null).Select(r => r.Route).Order();
        Assert.Equal(PublicPages.Order(), anonymous);
        Assert.All(Routes().Where(r => !PublicPages.Contains(r.Route)), r => Assert.NotNull(r.Type.GetCustomAttribute<AuthorizeAttribute>()));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_page_but_sign_in_needs_a_signed_in_person_and_admin_pages_need_an_admin(string page)
    {
        var clinic = await portal.CreateClinicAsync();
        var type = typeof(Program).Assembly.GetTypes().First(t => t.GetCustomAttributes<RouteAttribute>().Any(r => r.Template == page));
        var adminOnly = type.GetCustomAttributes<AuthorizeAttribute>().Any(a => a.Policy == StaffClaims.AdminPolicy);
        Assert.Equal(page.StartsWith("/admin", StringComparison.Ordinal), adminOnly);

        page = page.Replace("{Id:guid}", Guid.NewGuid().ToString()); // a record page: one that does not exist still needs the sign-in
        using var anonymous = StaffSession.Open(portal);
        var signedOut = await anonymous.Client.GetAsync(page);
        using var staff = StaffSession.Open(portal);
        await staff.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "staff"));
        var asStaff = await staff.Client.GetAsync(page);
        using var admin = StaffSession.Open(portal);
        await admin.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "admin"));
        var asAdmin = await admin.Client.GetAsync(page);

        if (page == "/sign-in")
        {
            Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
            return;
        }
        Assert.StartsWith("/sign-in", signedOut.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
        if (adminOnly) Assert.StartsWith("/not-allowed", asStaff.Headers.Location!.PathAndQuery);
        else Assert.Equal(HttpStatusCode.OK, asStaff.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task No_page_shows_another_clinics_patients(string page)
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        var secretName = "Zephyrine " + Guid.NewGuid().ToString("N")[..6];
        await theirs.CallToolAsync("book_appointment", new
        {
            provider = "dr-a", date = DateTime.UtcNow.Date.AddDays(1).ToString("yyyy-MM-dd"), time = "12:00", patient_name = secretName, patient_phone = "+447700100999",
        });
        using var admin = StaffSession.Open(portal);
        await admin.SignInAsync(await StaffSession.NewAccountAsync(portal, mine, "admin"));
        using var theirAdmin = StaffSession.Open(portal);
        await theirAdmin.SignInAsync(await StaffSession.NewAccountAsync(portal, theirs, "admin"));

        // A record page is opened with their record's id: it must not show it either.
        await using (var su = portal.Superuser())
            page = page.Replace("{Id:guid}", (await su.ScalarAsync<Guid>("select id from patients where clinic_id = @Id", new { theirs.Id })).ToString());
        Assert.DoesNotContain(secretName, await admin.Client.GetStringAsync(page));
        Assert.Contains(secretName, await theirAdmin.Client.GetStringAsync("/")); // the check can fail: their dashboard shows it
    }
}
