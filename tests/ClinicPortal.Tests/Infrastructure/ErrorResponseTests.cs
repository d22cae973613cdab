using System.Net;
using System.Net.Http.Headers;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Infrastructure;

[Collection(PortalCollection.Name)]
public sealed class ErrorResponseTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task A_browser_opening_a_page_that_does_not_exist_gets_a_friendly_html_page()
    {
        using var browser = portal.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("There is no such page", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "/no/such/page")]
    [InlineData("POST", "/api/no/such/endpoint")]
    public async Task An_api_client_gets_a_problem_body_for_a_missing_resource(string method, string path)
    {
        using var client = portal.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":404", await response.Content.ReadAsStringAsync());
    }
}
