using ClinicPortal.Features.Privacy;

namespace ClinicPortal.Tests.Privacy;

public sealed class PiiRedactorTests
{
    [Theory]
    [InlineData("email me at jane.doe+clinic@example.co.uk please", "email me at [REDACTED_EMAIL] please")]
    [InlineData("card 4111 1111 1111 1111 exp 12/27", "card [REDACTED_CARD] exp 12/27")]
    [InlineData("card 5555-5555-5555-4444", "card [REDACTED_CARD]")]
    [InlineData("amex 378282246310005.", "amex [REDACTED_CARD].")]
    [InlineData("NHS number 401 023 2137", "NHS number [REDACTED_NHS_NUMBER]")]
    [InlineData("nhs 4010232137", "nhs [REDACTED_NHS_NUMBER]")]
    [InlineData("SSN 123-45-6789", "SSN [REDACTED_SSN]")]
    [InlineData("NI number AB 12 34 56 C", "NI number [REDACTED_NI_NUMBER]")]
    [InlineData("ni ab123456c ok", "ni [REDACTED_NI_NUMBER] ok")]
    [InlineData("DOB: 14/03/1985", "DOB: [REDACTED_DOB]")]
    [InlineData("I was born on 3 March 1990.", "I was born on [REDACTED_DOB].")]
    [InlineData("date of birth is 1985-03-14", "date of birth is [REDACTED_DOB]")]
    [InlineData("my date of birth: March 3rd, 1990", "my date of birth: [REDACTED_DOB]")]
    [InlineData("call 07700 900123", "call [REDACTED_PHONE]")]
    [InlineData("call 07700900123 now", "call [REDACTED_PHONE] now")]
    [InlineData("ring +44 7700 900123", "ring [REDACTED_PHONE]")]
    [InlineData("office +44 (0)20 7946 0000", "office [REDACTED_PHONE]")]
    [InlineData("landline 020 7946 0000", "landline [REDACTED_PHONE]")]
    [InlineData("0044 20 7946 0000", "[REDACTED_PHONE]")]
    [InlineData("E.164 +447700900123", "E.164 [REDACTED_PHONE]")]
    [InlineData("US +1 415 555 0100", "US [REDACTED_PHONE]")]
    [InlineData("Paris +33 1 23 45 67 89", "Paris [REDACTED_PHONE]")]
    [InlineData("I live at SW1A 1AA", "I live at [REDACTED_POSTCODE]")]
    [InlineData("postcode m1 1ae thanks", "postcode [REDACTED_POSTCODE] thanks")]
    [InlineData("EC1A 1BB and B33 8TH", "[REDACTED_POSTCODE] and [REDACTED_POSTCODE]")]
    public void Personal_data_is_replaced_by_its_typed_token(string text, string expected) =>
        Assert.Equal(expected, PiiRedactor.Redact(text));

    [Theory]
    [InlineData("Can I come at 14:00 or 10:30 on Friday?")]
    [InlineData("Liquid rhinoplasty costs £2,500-£3,500, recovery is quick")]
    [InlineData("Your appointment is on 4 December 2026 at 2pm")]
    [InlineData("Booked for 2026-12-04T14:00:00+00:00")]
    [InlineData("Your confirmation code is KW6R87GK")]
    [InlineData("Prefix GB 12 34 56 A is never issued")]
    [InlineData("call 999 or 111 in an emergency, room 101")]
    [InlineData("I had it done in 1985 and again in 2019")]
    [InlineData("45 minutes, 15 minute buffer, 3 sessions")]
    [InlineData("She was born in 1990")]
    public void Ordinary_clinic_talk_survives(string text) => Assert.Equal(text, PiiRedactor.Redact(text));

    [Theory]
    [InlineData("Card 4111 1111 1111 1112 fails the Luhn check")]
    [InlineData("The number 401 023 2136 fails the NHS check")]
    public void A_long_number_that_fails_its_checksum_still_goes_as_a_possible_phone_number(string text)
    {
        var redacted = PiiRedactor.Redact(text);
        Assert.Contains("[REDACTED_PHONE]", redacted);
        Assert.DoesNotContain("[REDACTED_CARD]", redacted);
        Assert.DoesNotContain("[REDACTED_NHS_NUMBER]", redacted);
    }

    [Fact]
    public void A_transcript_with_several_kinds_loses_each_one()
    {
        var transcript = "Hi, it's Jane, jane@example.com, 07700 900123. DOB 01/02/1980. Can I book lip filler at 15:30 on 5 Dec? It's £300-£450 right?";
        Assert.Equal("Hi, it's [REDACTED_NAME], [REDACTED_EMAIL], [REDACTED_PHONE]. DOB [REDACTED_DOB]. Can I book lip filler at 15:30 on 5 Dec? It's £300-£450 right?",
            PiiRedactor.Redact(transcript));
    }
}
