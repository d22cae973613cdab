using ClinicPortal.Shared;

namespace ClinicPortal.Tests.Booking;

public sealed class PhoneNumberTests
{
    [Theory]
    [InlineData("07700 100123", "+447700100123")]
    [InlineData("07700-100-123", "+447700100123")]
    [InlineData("+44 7700 100123", "+447700100123")]
    [InlineData("+44 (0)20 7946 0000", "+442079460000")]
    [InlineData("0044 20 7946 0000", "+442079460000")]
    [InlineData("+1 (415) 555-0100", "+14155550100")]
    public void Spoken_and_typed_numbers_become_E164(string raw, string expected) =>
        Assert.Equal(expected, Phone.Normalize(raw, "GB"));

    [Theory]
    [InlineData("12345")]
    [InlineData("call me maybe")]
    [InlineData("+0 123 456 789")]
    [InlineData("+44 7700 100123 4567 89")]
    [InlineData("07700 900123")] // Ofcom's drama range: possible, never allocated
    [InlineData("")]
    public void Non_numbers_are_refused_with_a_reason_the_agent_can_say(string raw) =>
        Assert.Equal(Phone.NotANumber, Assert.IsType<PhoneCheck.Invalid>(Phone.Check(raw, "GB")).Reason);

    [Theory]
    [InlineData("0909 123 4567", "premium-rate")]
    [InlineData("0871 234 5678", "premium-rate")]
    public void Numbers_that_cost_extra_are_refused_saying_why(string raw, string reason) =>
        Assert.Contains(reason, Assert.IsType<PhoneCheck.Invalid>(Phone.Check(raw, "GB")).Reason);

    [Fact]
    public void A_national_number_is_read_in_the_clinics_country()
    {
        Assert.Equal("+61412345678", Phone.Normalize("0412 345 678", "AU"));
        Assert.Null(Phone.Normalize("0412 345 678", "GB"));
    }

    [Theory]
    [InlineData("07700 100123", false, true)] // mobile
    [InlineData("+1 415 555 0100", false, false)] // North America: fixed line or mobile, cannot tell; and not the clinic's country
    [InlineData("+1 415 555 0100", true, true)] // ...which a clinic may allow
    [InlineData("+33 6 12 34 56 78", false, false)] // a French mobile
    [InlineData("+33 6 12 34 56 78", true, true)]
    [InlineData("020 7946 0000", true, false)] // landline
    [InlineData("0800 123 4567", true, false)] // toll-free
    public void Only_mobiles_in_the_clinics_country_are_textable_unless_the_clinic_allows_any_country(string raw, bool anyCountry, bool textable) =>
        Assert.Equal(textable, Phone.Textable(raw, "GB", anyCountry) is not null);
}
