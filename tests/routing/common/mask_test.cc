// Masking of phone numbers (DESIGN "Masking"; PIPL).
#include "routing/common/mask.h"

#include <catch2/catch.hpp>

using assist::mask_number;
using assist::mask_numbers_in_text;

TEST_CASE("mask: mobile and landline numbers", "[common][mask]") {
  CHECK(mask_number("13812345678") == "138****5678");
  CHECK(mask_number("047112345678") == "0471****5678");
  CHECK(mask_number("+8613812345678").ends_with("****5678"));
  CHECK(mask_number("sip:13812345678@pbx").find("13812345678") == std::string::npos);
  CHECK(mask_number("") == "");
}

TEST_CASE("mask: never shows a whole number", "[common][mask]") {
  for (const char* n : {"1234567", "12345678", "0471123", "13812345678", "047112345678"}) {
    CAPTURE(n);
    const std::string m = mask_number(n);
    CHECK(m.find(n) == std::string::npos);
    CHECK(m.find("****") != std::string::npos);
    CHECK(m.substr(m.size() - 4) == std::string(n).substr(std::string(n).size() - 4));
  }
}

TEST_CASE("mask: short numbers keep only the last 2", "[common][mask]") {
  CHECK(mask_number("12345") == "***45");
  CHECK(mask_number("123456") == "****56");
  CHECK(mask_number("110").ends_with("10"));
  CHECK(mask_number("110").find("110") == std::string::npos);
}

TEST_CASE("mask: numbers inside text", "[common][mask]") {
  CHECK(mask_numbers_in_text("我的电话是13812345678，请回电") == "我的电话是138****5678，请回电");
  CHECK(mask_numbers_in_text("座机047112345678和13912345678") == "座机0471****5678和139****5678");
  CHECK(mask_numbers_in_text("住在3号楼502室，家里5口人") == "住在3号楼502室，家里5口人");  // short runs stay
  CHECK(mask_numbers_in_text("") == "");
  // a number written in groups is still a number (a Call-ID like 138-1234-5678@pbx)
  CHECK(mask_numbers_in_text("138-1234-5678@pbx") == "138****5678@pbx");
  CHECK(mask_numbers_in_text("call 0471 6912345 now") == "call 0471****2345 now");
  CHECK(mask_numbers_in_text("+86 138 1234 5678") == "+861****5678");
  // dates, ticket ids, addresses and short groups are not numbers to hide
  CHECK(mask_numbers_in_text("on 2026-11-30 from 10.0.0.5, case 2026-000123") ==
        "on 2026-11-30 from 10.0.0.5, case 2026-000123");
  CHECK(mask_numbers_in_text("3-502 room, 12 34") == "3-502 room, 12 34");
  // every way of writing one that an adversarial run found in clear
  for (const char* form : {"138.1234.5678", "138_1234_5678", "138,1234,5678", "138/1234/5678", "138--1234--5678",
                           "138~1234~5678", "138:1234:5678", "138*1234*5678", "138+1234+5678", "138  1234  5678",
                           "138\t1234\t5678", "138—1234—5678", "138–1234–5678", "138，1234，5678",
                           "１３８１２３４５６７８", "138 1234 5678"}) {
    CAPTURE(form);
    CHECK(mask_numbers_in_text(std::string("tel ") + form + " end") == "tel 138****5678 end");
  }
  CHECK(mask_numbers_in_text("(138)1234-5678") == "(138****5678");
  // and the forms a second run found: read out digit by digit, wide separators, Chinese punctuation,
  // Chinese numerals
  for (const char* form : {"1 3 8 1 2 3 4 5 6 7 8", "1-3-8-1-2-3-4-5-6-7-8", "138 - 1234 - 5678", "138   1234   5678",
                           "138、1234、5678", "138。1234。5678", "138．1234．5678", "138|1234|5678", "138#1234#5678",
                           "138\n1234\n5678", "一三八一二三四五六七八", "幺三八幺二三四五六七八",
                           // and a third: four separators, apostrophes, backquotes, middle dots, no-break spaces
                           "138----1234-5678", "138'1234'5678", "138`1234`5678", "138·1234·5678",
                           "138\u00a01234\u00a05678", "138\u20111234\u20115678",
                           // and a fourth: every character a Call-ID may hold between groups, long runs of them,
                           // Chinese and typographic separators, Mongolian, financial and circled digits
                           "138!1234!5678", "138=1234=5678", "138\"1234\"5678", "138[1234]5678", "138<1234>5678",
                           "138?1234?5678", "138{1234}5678", "138\\1234\\5678", "138%1234%5678", "138-----1234-----5678",
                           "138～1234～5678", "138〜1234〜5678", "138’1234’5678", "138−1234−5678", "138・1234・5678",
                           "138•1234•5678", "138\u20091234\u20095678", "138\u200b1234\u200b5678", "138（1234）5678",
                           "138﹣1234﹣5678", "138；1234；5678", "᠑᠓᠘᠑᠒᠓᠔᠕᠖᠗᠘", "壹叁捌壹贰叁肆伍陆柒捌",
                           "①③⑧①②③④⑤⑥⑦⑧",
                           // and a fifth: percent-encoded separators and digits, Arabic-Indic and Devanagari digits
                           "138%2D1234%2D5678", "138%201234%205678", "138%2d1234%2d5678",
                           "%31%33%38%31%32%33%34%35%36%37%38", "١٣٨١٢٣٤٥٦٧٨", "१३८१२३४५६७८"}) {
    CAPTURE(form);
    CHECK(mask_numbers_in_text(std::string("电话") + form + "。") == "电话138****5678。");
  }
  CHECK(mask_numbers_in_text("金额12000000元，工号10012345") == "金额12000000元，工号10012345");
  CHECK(mask_numbers_in_text("一、二、三、四、五、六、七条；二〇二六年") == "一、二、三、四、五、六、七条；二〇二六年");
  CHECK(mask_numbers_in_text("138-1234-5678-1") == "138****5678-1");  // an extension stays, the number goes
  CHECK(mask_numbers_in_text("+86-10-6512-3456") == "+861****3456");
  CHECK(mask_numbers_in_text("+86 471 691 2345") == "+864****2345");
  CHECK(mask_numbers_in_text("0086 10 6512 3456") == "008****3456");
  // what must stay legible: a ticket id, dates, this region's division codes, a staff number, an address
  CHECK(mask_numbers_in_text("see SA-20261130-000001 and SA-20261130-1234567") ==
        "see SA-20261130-000001 and SA-20261130-1234567");
  CHECK(mask_numbers_in_text("on 20261130, region 150102001001 / 150102001, 工号 1001234") ==
        "on 20261130, region 150102001001 / 150102001, 工号 1001234");
  // other long runs are still hidden (an ID card number)
  CHECK(mask_numbers_in_text("身份证 150102199001011234") == "身份证 150****1234");
  // an ID card number is masked too
  const std::string id = mask_numbers_in_text("身份证150102199001011234");
  CHECK(id.find("150102199001011234") == std::string::npos);
}

TEST_CASE("normalize_number: one number, one form; a name or a withheld number is none", "[mask]") {
  using assist::normalize_number;
  for (const char* same : {"13800001234", "+8613800001234", "+86 138-0000-1234", "008613800001234", "8613800001234",
                           "013800001234", "(+86) 138.0000.1234"})
    CHECK(normalize_number(same) == "13800001234");
  for (const char* landline : {"04716234567", "+864716234567", "+86 471 623 4567", "00864716234567", "0471-6234567",
                               "+86 0471 6234567"})
    CHECK(normalize_number(landline) == "04716234567");
  CHECK(normalize_number("+1-671-555-1234") == "0016715551234");  // another country's: not a mobile here
  CHECK(normalize_number("12345") == "12345");
  CHECK(normalize_number("110") == "110");
  for (const char* none : {"", "anonymous", "Anonymous", "unknown", "alice", "user1", "room1", "anonymous1",
                           "c8oqz84zk7z", "12", "+", "1+2"})
    CHECK(normalize_number(none).empty());
  // fewer than 3 digits once the country code is gone is none either: they had all become one caller "0"
  for (const char* none : {"+860", "0086", "+861", "008601", "+8601", "001", "+12", "+000", "00000", "+8600000",
                           "+86 0 0000", "+86 0044 20 7946 0000"}) {
    INFO(none);
    CHECK(normalize_number(none).empty());
  }
  CHECK(normalize_number("00123") == "00123");
  CHECK(normalize_number("+86-0-138-0001-2345") == "13800012345");  // a trunk 0 before a mobile, after +86 too
}
