#include "routing/escalation/messages.h"

#include <map>

#include "routing/common/time_format.h"
#include "routing/dispatch/regions.h"
#include "routing/http/links.h"

namespace assist {
namespace {

std::string lookup(const std::map<std::string, std::string>& m, const std::string& id) {
  auto it = m.find(id);
  return it == m.end() ? id : it->second;
}

std::string level_zh(const std::string& level) {
  return lookup({{"office", "承办单位"}, {"township", "苏木乡镇/街道"}, {"county", "旗县区"}, {"league", "盟市"},
                 {"supervisor", "值班长"}},
                level);
}

// "11月29日 18:03:00" in Shanghai time: what a person reads on a phone. A deadline at midnight is written
// as 24:00 of the day before, as the Civil Code's periods (art. 203) and people say it.
std::string short_time(Instant t) {
  const bool midnight = format_rfc3339(t).substr(11, 8) == "00:00:00";
  const std::string s = format_rfc3339(midnight ? t - std::chrono::seconds(1) : t);  // 2026-11-29T18:03:00+08:00
  return std::to_string(std::stoi(s.substr(5, 2))) + "月" + std::to_string(std::stoi(s.substr(8, 2))) + "日 " +
         (midnight ? std::string("24:00") : s.substr(11, 8));
}

}  // namespace

std::string category_zh(const std::string& id) {
  return lookup({{"minimum_living_allowance", "最低生活保障"}, {"extreme_poverty_support", "特困人员救助供养"},
                 {"temporary_assistance", "临时救助"}, {"medical_assistance", "医疗救助"},
                 {"education_assistance", "教育救助"}, {"housing_assistance", "住房救助"},
                 {"employment_assistance", "就业救助"}, {"disaster_relief", "受灾人员救助"},
                 {"care_services", "服务类社会救助"}, {"stranded_person", "生活无着人员救助"},
                 {"hardship_report", "困难群众主动发现"}, {"not_social_assistance", "非社会救助"}},
                id);
}
std::string urgency_zh(const std::string& id) {
  return lookup({{"critical", "特急"}, {"urgent", "紧急"}, {"normal", "一般"}}, id);
}
std::string request_type_zh(const std::string& id) {
  return lookup({{"consult", "咨询"}, {"help", "求助"}, {"complaint", "投诉"}, {"report", "举报"}, {"suggestion", "建议"}}, id);
}

std::string message_id(const std::string& ticket_id, const std::string& kind, const std::string& level,
                       const std::string& reason) {
  return ticket_id + "-" + kind + "-" + level + "-" + reason;
}

OutboxMessage build_message(const Ticket& t, const std::string& id, const std::string& kind,
                            const std::string& level, const std::string& reason, const DirectoryEntry& to,
                            const std::string& public_url, Instant now) {
  const std::string region = t.region_code.empty() ? t.region_hint : t.region_code;
  std::string place = Regions::builtin().full_name(region);
  if (place.empty()) place = region.empty() ? "地点待核实" : region;
  const std::string labels = category_zh(t.category) + "（" + request_type_zh(t.request_type) + "，" +
                             urgency_zh(t.urgency) + "）";
  // Signed links a phone opens without logging in (routing/http/links.h); the pane link is for staff.
  const auto signer = LinkSigner::installed();
  const std::string link = public_url + "/pane/?ticket=" + t.id;
  const std::string ack_url = signer ? signer->url("/links/ack/" + id, now)
                                     : public_url + "/api/v1/escalations/" + id + "/acknowledge";
  const std::string signoff_url = signer ? signer->url("/links/signoff/" + t.id, now) : link;
  const bool fr = reason.starts_with("first_response");
  const Instant due = fr ? t.first_response_due : t.resolution_due;
  const std::string what = fr ? "签收并联系来电人" : "办结";
  std::string text;
  if (kind == "dispatch") {
    text = "【12345社会救助派单】工单" + t.id + "：" + labels + "，地点：" + place + "。请于" +
           short_time(t.first_response_due) + "前签收并联系来电人，" + short_time(t.resolution_due) +
           "前办结。" + (t.request_type == "report" ? "举报人身份保密。" : "") + "签收：" + signoff_url;
  } else if (reason == "directory_gap") {
    text = "【12345社会救助·通讯录缺口】工单" + t.id + "：" + labels + "，地点：" + place + "。" +
           level_zh(level == "supervisor" ? std::string() : level) + "督办已逐级上转，但通讯录中该级无人（或无人值班）。请值班长核实并补充通讯录。详情：" + link;
  } else if (kind == "warning" && level == "supervisor") {
    text = "【12345社会救助·超时提示值班长】工单" + t.id + "：" + labels + (t.confirmed ? "" : "（坐席尚未确认）") +
           "，地点：" + place + "，应于" + short_time(due) + "前" + what + "，已超时。详情：" + link;
  } else if (kind == "warning" && reason.ends_with("_overdue")) {
    text = "【12345社会救助催办】工单" + t.id + "：" + labels + "，地点：" + place + "，应于" + short_time(due) + "前" +
           what + "，已超时，请立即处理并在系统中反馈。详情：" + link;
  } else if (kind == "warning") {
    text = "【12345社会救助预警】工单" + t.id + "：" + labels + "，地点：" + place + "，须于" + short_time(due) +
           "前" + what + "，时限即将届满，请抓紧处理。详情：" + link;
  } else {
    const auto late = std::chrono::duration_cast<std::chrono::minutes>(now - due).count();
    const std::string how_late = late >= 60  ? std::to_string(late / 60) + "小时" + std::to_string(late % 60) + "分钟"
                                 : late >= 1 ? std::to_string(late) + "分钟"
                                             : std::string("不足1分钟");
    const bool emergency = t.urgency == "critical" || t.urgency == "urgent";
    text = "【12345社会救助督办·" + level_zh(level) + "】工单" + t.id + "：" + labels + "，地点：" + place +
           "。应于" + short_time(due) + "前" + what + "，已超时" + how_late + "未" + (fr ? "签收" : "办结") + "。" +
           (emergency ? "急难情形请按“先行救助、后补手续”处置（政策第六条）。" : "") +
           "请协调处理，并确认响应人及预计到达时间：" + ack_url + " 详情：" + link;
  }
  // For SMS (at most 140 characters with the link): what, where (the township), by when.
  const Region* township = Regions::builtin().find(region.substr(0, std::min<size_t>(9, region.size())));
  const std::string where = township ? township->name : place;
  std::string short_text;
  if (kind == "dispatch")
    short_text = "【12345派单】" + t.id + " " + category_zh(t.category) + urgency_zh(t.urgency) + " " + where + " " +
                 short_time(t.first_response_due) + "前签收";
  else if (kind == "warning")
    short_text = "【12345预警】" + t.id + " " + category_zh(t.category) + urgency_zh(t.urgency) + " " + where + " 须" +
                 short_time(due) + "前" + what;
  else
    short_text = "【12345督办】" + t.id + " " + category_zh(t.category) + urgency_zh(t.urgency) + " " + where + " " +
                 short_time(due) + "前应" + what + "，已超时";
  OutboxMessage m;
  m.id = id;
  m.ticket_id = t.id;
  m.kind = kind;
  m.level = level;
  m.reason = reason;
  m.notify = to.notify;
  m.created_at = now;
  m.next_attempt_at = now;
  m.body = {{"id", id},
            {"ticket_id", t.id},
            {"kind", kind},
            {"level", level},
            {"reason", reason},
            {"region_code", region},
            {"place", place},
            {"category", t.category},
            {"request_type", t.request_type},
            {"urgency", t.urgency},
            {"due", format_rfc3339(due)},
            {"to", {{"name", to.name}, {"region", to.region}, {"level", to.level}, {"role", to.role},
                    {"address", to.address}}},
            {"text", text},
            {"short_text", short_text},
            {"link", link},
            {"created_at", format_rfc3339(now)}};
  if (kind == "escalation") m.body["ack_url"] = ack_url;
  if (signer && (kind == "escalation" || kind == "dispatch")) {  // for SMS: short, redirects to the signed link
    m.body["token"] = signer->token(id);
    m.body["short_url"] = signer->public_url() + "/l/" + m.body["token"].get<std::string>();
  }
  if (kind == "dispatch") m.body["signoff_url"] = signoff_url;
  return m;
}

}  // namespace assist
