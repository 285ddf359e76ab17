// RFC 4475 (SIP torture test messages): each message goes through the server's own request path
// (RequestProcessor: bytes + source -> responses) and the answer is checked against the rule in
// data/sip-rfc4475/expected.csv. One TEST_CASE per message.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "routing/sip/request_processor.h"

#include "tests/routing/common/shared_dir.h"

namespace {

using namespace assist;
using namespace assist::sip;

const std::string kDir = assist::test::shared_dir() + "/data/sip-rfc4475/";

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// name -> the "a redirect server answers" column.
std::map<std::string, std::string> load_rules() {
  std::map<std::string, std::string> rules;
  std::istringstream in(slurp(kDir + "expected.csv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::string cur;
    bool q = false;
    for (char c : line) {
      if (c == '"') q = !q;
      else if (c == ',' && !q) { fields.push_back(cur); cur.clear(); }
      else if (c != '\r') cur += c;
    }
    fields.push_back(cur);
    if (fields.size() >= 4) rules[fields[0]] = fields[3];
  }
  return rules;
}

struct Answer {
  std::vector<int> statuses;  // every response produced, in order
};

int status_of(const std::string& bytes) {
  REQUIRE(bytes.rfind("SIP/2.0 ", 0) == 0);
  return std::stoi(bytes.substr(8, 3));
}

// Feeds the message as one UDP datagram from 192.0.2.1:5060; a new INVITE is decided by a handler that
// redirects to a queue, as the daemon's would.
Answer run(const std::string& name) {
  std::string bytes = slurp(kDir + name + ".dat");
  SipServerConfig config;
  InviteTransactionTable table;
  RequestProcessor processor(config, table);
  SimulatedClock clock(Instant{} + Millis{1'700'000'000'000});
  Peer peer{boost::asio::ip::make_address("192.0.2.1"), 5060, Transport::udp, 0};
  auto r = processor.handle(bytes, peer, /*ready=*/true, clock.now());
  Answer a;
  for (const auto& o : r.send) a.statuses.push_back(status_of(o.bytes));
  if (r.invite) {
    RedirectDecision d;
    d.contact = "sip:sa-queue@10.0.0.5:5060";
    d.headers = {{"X-Assist-Ticket", "T-1"}};
    for (const auto& o : processor.decide(*r.invite, d, clock.now())) a.statuses.push_back(status_of(o.bytes));
  }
  return a;
}

void check(const std::string& name) {
  static const auto rules = load_rules();
  auto it = rules.find(name);
  REQUIRE(it != rules.end());
  const std::string& rule = it->second;
  Answer a = run(name);
  INFO(name << ": rule \"" << rule << "\"");
  if (rule.rfind("no reply", 0) == 0) {
    CHECK(a.statuses.empty());
    return;
  }
  REQUIRE(a.statuses.size() == 1);
  int got = a.statuses.front();
  INFO("answered " << got);
  CHECK(got >= 200);
  if (rule.find("any final response") != std::string::npos) {
    if (rule.find("but 400") != std::string::npos) CHECK(got != 400);
    return;
  }
  std::vector<int> allowed;
  std::regex code(R"(\b([1-6][0-9][0-9])\b)");
  for (std::sregex_iterator m(rule.begin(), rule.end(), code), end; m != end; ++m) allowed.push_back(std::stoi((*m)[1]));
  if (rule.find("not 400") != std::string::npos) std::erase(allowed, 400);
  if (rule.find("REGISTER only") != std::string::npos) allowed = {405, 501};
  CHECK(std::find(allowed.begin(), allowed.end(), got) != allowed.end());
}

}  // namespace

#define RFC4475_CASE(n) \
  TEST_CASE("RFC 4475 " #n, "[sip][rfc4475][shared]") { check(#n); }
RFC4475_CASE(badaspec)
RFC4475_CASE(badbranch)
RFC4475_CASE(baddate)
RFC4475_CASE(baddn)
RFC4475_CASE(badinv01)
RFC4475_CASE(badvers)
RFC4475_CASE(bcast)
RFC4475_CASE(bext01)
RFC4475_CASE(bigcode)
RFC4475_CASE(clerr)
RFC4475_CASE(cparam01)
RFC4475_CASE(cparam02)
RFC4475_CASE(dblreq)
RFC4475_CASE(esc01)
RFC4475_CASE(esc02)
RFC4475_CASE(escnull)
RFC4475_CASE(escruri)
RFC4475_CASE(insuf)
RFC4475_CASE(intmeth)
RFC4475_CASE(inv2543)
RFC4475_CASE(invut)
RFC4475_CASE(longreq)
RFC4475_CASE(ltgtruri)
RFC4475_CASE(lwsdisp)
RFC4475_CASE(lwsruri)
RFC4475_CASE(lwsstart)
RFC4475_CASE(mcl01)
RFC4475_CASE(mismatch01)
RFC4475_CASE(mismatch02)
RFC4475_CASE(mpart01)
RFC4475_CASE(multi01)
RFC4475_CASE(ncl)
RFC4475_CASE(noreason)
RFC4475_CASE(novelsc)
RFC4475_CASE(quotbal)
RFC4475_CASE(regaut01)
RFC4475_CASE(regbadct)
RFC4475_CASE(regescrt)
RFC4475_CASE(scalar02)
RFC4475_CASE(scalarlg)
RFC4475_CASE(sdp01)
RFC4475_CASE(semiuri)
RFC4475_CASE(transports)
RFC4475_CASE(trws)
RFC4475_CASE(unkscm)
RFC4475_CASE(unksm2)
RFC4475_CASE(unreason)
RFC4475_CASE(wsinv)
RFC4475_CASE(zeromf)
