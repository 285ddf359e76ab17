// Chinese names for the ids the API uses (shared/reference/call-taxonomy.md), shared by the pane and the board.
export const CATEGORY = {
  minimum_living_allowance: "最低生活保障（低保）",
  extreme_poverty_support: "特困人员救助供养",
  temporary_assistance: "临时救助",
  medical_assistance: "医疗救助",
  education_assistance: "教育救助",
  housing_assistance: "住房救助",
  employment_assistance: "就业救助",
  disaster_relief: "受灾人员救助",
  care_services: "服务类社会救助",
  stranded_person: "生活无着人员救助",
  hardship_report: "困难群众主动发现",
  not_social_assistance: "非社会救助",
};
export const REQUEST_TYPE = { consult: "咨询", help: "求助/申请", complaint: "投诉", report: "举报", suggestion: "建议" };
export const URGENCY = { critical: "特急", urgent: "紧急", normal: "一般" };
export const STATUS = {
  open: "待签收", acknowledged: "已签收", in_progress: "办理中", waiting_on_caller: "等待来电人",
  resolved: "已办结", closed: "已关闭", cancelled: "已取消", merged: "已并单",
};
export const FLAG = {
  repeat_caller: "重复来电", monitored_household: "监测户", third_party_report: "他人代报",
  child_or_alone: "儿童/独居", child: "儿童", alone: "独居",
};
export const LEVEL = { office: "承办单位", township: "苏木乡镇/街道", county: "旗县区", league: "盟市" };
export const CLOCK = { first_response: "首次响应", resolution: "办结" };
// The events the API knows, by the Chinese names the buttons carry (their accessible names).
export const EVENT = {
  confirm: "确认", acknowledge: "签收", start: "开始办理", contact_attempt: "联系来电人", note: "备注",
  transfer_emergency: "转警/急救", wait_on_caller: "等待来电人", resume: "恢复办理", extend: "申请延期",
  return: "退单", reassign: "改派", resolve: "办结", close: "关闭（回访）", merge: "并单", cancel: "取消（转普通热线）",
  reclassify: "重新分类", case_by_case: "一事一议",
};
// What the history (GET /api/v1/tickets/{id}/events) records besides the events above.
export const HISTORY = {
  ...EVENT, opened: "开单", call_joined: "并入来电", dispatch: "派单", dispatch_gap: "名录缺口（未找到承办单位）",
  warning: "预警", escalation: "升级", escalation_gap: "升级缺口（该层级无人）", escalation_acknowledged: "协调员响应",
};
export const label = (table, id) => (id == null || id === "" ? "—" : table[id] || id);
export const levelName = (code) => ({ 4: "盟市", 6: "旗县区", 9: "苏木乡镇", 12: "嘎查村" })[String(code || "").length] || "";

// Policy hints for the category (Inner Mongolia 2021 plan; 国务院令第649号).
export const POLICY_HINT = {
  minimum_living_allowance:
    "低保渐退：家庭成员就业后收入超过低保标准的，可给予不超过 6 个月的渐退期；因产业扶持或分红增收的，渐退期 6–12 个月。重度残疾人、重病患者可参照单人户纳入。",
  temporary_assistance:
    "急难型临时救助：先行救助，事后补充说明情况、补齐材料；小额救助由苏木乡镇（街道）审批；疑难个案由旗县区协调机制一事一议。",
  extreme_poverty_support: "特困供养：无劳动能力、无生活来源、无法定赡养抚养扶养义务人（或其无能力）。先确认生活照料是否有人。",
  hardship_report: "主动发现：先由村（社区）协理员或苏木乡镇实地核实，结论为纳入、不符合或转介。报告人身份保密。",
  medical_assistance: "医疗救助：基本医保、大病保险报销后的自付部分；必要时二次救助。",
  stranded_person: "生活无着人员：救助管理站 24 小时受理，先保障当晚食宿安全。",
  disaster_relief: "受灾人员救助：先保障基本生活（住、食、取暖），由应急管理部门核灾。",
};
export const REPORT_HINT = "举报：举报人身份保密，工单不派给被举报单位，消息中不含举报人信息。";
