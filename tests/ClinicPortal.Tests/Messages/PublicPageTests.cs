using System.Net;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Messages;

/// <summary>The procedure pages the follow-up texts link to: public, read-only, the clinic's own.</summary>
[Collection(PortalCollection.Name)]
public sealed class PublicPageTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task A_procedure_page_shows_the_clinics_facts_to_anyone()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var conn = portal.Superuser();
        var procedure = await conn.ScalarAsync<Guid>("select id from procedures where clinic_id = @Id and name = 'Lip filler'", new { clinic.Id });
        using var anonymous = portal.CreateClient();

        var response = await anonymous.GetAsync($"/i/{clinic.Slug}/{procedure}?r=abc");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Lip filler", page);
        Assert.Contains("Test clinic " + clinic.Slug, page);
        Assert.Contains("tel:+442079460999", page);
        Assert.DoesNotContain("Anti-wrinkle injections", page);
        Assert.Contains("Anti-wrinkle injections", await anonymous.GetStringAsync($"/i/{clinic.Slug}"));
    }

    [Fact]
    public async Task Another_clinics_procedure_or_an_unknown_clinic_is_not_found()
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        await using var conn = portal.Superuser();
        var theirProcedure = await conn.ScalarAsync<Guid>("select id from procedures where clinic_id = @Id limit 1", new { theirs.Id });
        using var anonymous = portal.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/i/{mine.Slug}/{theirProcedure}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/i/no-such-clinic")).StatusCode);

        anonymous.DefaultRequestHeaders.Accept.ParseAdd("text/html"); // a patient's browser gets a page that says what to do
        var page = await anonymous.GetAsync($"/i/{mine.Slug}/{theirProcedure}");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Please call the clinic that texted you", html);
        Assert.DoesNotContain(theirs.Slug, html);
    }
}
