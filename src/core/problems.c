/* The message catalogue: see include/bdhvs/problems.h. */
#include "bdhvs/problems.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct phrase {
    const char *en, *vi;
} phrase;

typedef struct problem_msg {
    const char *code;
    const char *text[PROBLEM_LANGS]; /* templates: {name} is params' name */
} problem_msg;

/* Sorted by code only for the reader; looked up by a scan (a few dozen entries). */
static const problem_msg CATALOGUE[] = {
    /* one cell or field */
    {"required", {"is required", "là bắt buộc"}},
    {"not_a_field", {"is not a field of this resource", "không phải là trường của tài nguyên này"}},
    {"not_a_string", {"must be a string", "phải là chuỗi ký tự"}},
    {"empty", {"must not be empty", "không được để trống"}},
    {"length", {"must be {min} to {max} characters long", "phải dài từ {min} đến {max} ký tự"}},
    {"not_an_id", {"must be a positive whole number", "phải là số nguyên dương"}},
    {"not_true_false", {"must be true or false", "phải là true hoặc false"}},
    {"date_format", {"must be a date written YYYY-MM-DD", "phải là ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)"}},
    {"required_or", {"is required (or {other})", "là bắt buộc (hoặc {other})"}},
    {"party_admin_only", {"may be set only by admins and managers", "chỉ quản trị viên và người quản lý được đặt"}},
    {"month_format", {"must be a month written YYYY-MM (or YYYYMM)", "phải là tháng viết theo dạng YYYY-MM (hoặc YYYYMM)"}},
    {"count_range", {"must be a whole number from 0 to 2147483647", "phải là số nguyên từ 0 đến 2147483647"}},
    {"too_long", {"is longer than {max} characters", "dài quá {max} ký tự"}},
    {"code_opaque", {"may hold only letters A-Z, digits, '.', '_' and '-' ({min} to {max})", "chỉ được gồm chữ cái A-Z, chữ số, '.', '_' và '-' (từ {min} đến {max} ký tự)"}},
    {"code_ref", {"must be {min} to {max} of a-z, 0-9 and _, starting with a letter", "phải gồm từ {min} đến {max} ký tự a-z, 0-9 và _, bắt đầu bằng chữ cái"}},
    {"not_a_date", {"\"{value}\" is not a date written YYYY-MM-DD", "\"{value}\" không phải là ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)"}},
    {"future", {"must not be in the future", "không được là ngày trong tương lai"}},
    {"not_a_bool", {"\"{value}\" is not true or false", "\"{value}\" không phải là true hoặc false"}},
    {"not_a_month", {"\"{value}\" is not a month written YYYY-MM (or YYYYMM)", "\"{value}\" không phải là tháng viết theo dạng YYYY-MM (hoặc YYYYMM)"}},
    {"not_a_count", {"\"{value}\" is not a whole number from 0 to 2147483647", "\"{value}\" không phải là số nguyên từ 0 đến 2147483647"}},
    /* the shape of a bulk load */
    {"not_a_column", {"is not a column of this load", "không phải là cột của lần nhập này"}},
    {"header_twice", {"appears twice in the header", "xuất hiện hai lần trong dòng tiêu đề"}},
    {"required_column", {"is a required column", "là cột bắt buộc"}},
    {"cells_count", {"has {cells} cells where the header has {header}", "có {cells} ô trong khi dòng tiêu đề có {header} ô"}},
    {"row_too_long", {"is longer than {max} bytes", "dài quá {max} byte"}},
    {"not_an_object", {"must be a JSON object", "phải là một đối tượng JSON"}},
    {"not_a_load_field", {"is not a field of this load", "không phải là trường của lần nhập này"}},
    {"nul_chars", {"must not contain NUL characters", "không được chứa ký tự NUL"}},
    {"not_a_scalar", {"must be a string, a number, true, false or null", "phải là chuỗi, số, true, false hoặc null"}},
    /* references (bulk loads name the code they could not find) */
    {"unit_unknown", {"unit {unit} is unknown or not one of your units", "đơn vị {unit} không tồn tại hoặc không thuộc các đơn vị của bạn"}},
    {"unit_closed", {"unit {unit} is closed", "đơn vị {unit} đã đóng"}},
    {"staff_unknown", {"staff member {staff} is unknown or not in your units", "nhân viên {staff} không tồn tại hoặc không thuộc các đơn vị của bạn"}},
    {"course_unknown", {"course {course} is unknown", "khóa học {course} không tồn tại"}},
    {"course_missing", {"no such course", "không có khóa học này"}},
    {"unit_missing", {"no such unit", "không có đơn vị này"}},
    {"unit_id_code_differ", {"unit id and code do not name the same unit", "mã số (id) và mã đơn vị không chỉ cùng một đơn vị"}},
    {"unit_closed_here", {"that unit is closed", "đơn vị đó đã đóng"}},
    {"staff_missing", {"no such staff member", "không có nhân viên này"}},
    {"code_in_use", {"is already in use", "đã được sử dụng"}},
    /* reference codes (migration 0015) */
    {"job_group_inactive", {"\"{value}\" is not an active job group code (see /api/v1/job-groups)", "\"{value}\" không phải là mã nhóm chức danh đang dùng (xem /api/v1/job-groups)"}},
    {"employment_inactive", {"\"{value}\" is not an active employment type code (see /api/v1/employment-types)", "\"{value}\" không phải là mã loại hình làm việc đang dùng (xem /api/v1/employment-types)"}},
    {"skill_inactive", {"\"{value}\" is not an active skill code (see /api/v1/skills)", "\"{value}\" không phải là mã kỹ năng đang dùng (xem /api/v1/skills)"}},
    {"support_service_inactive",
     {"\"{value}\" is not an active support service code (see /api/v1/support-services)", "\"{value}\" không phải là mã dịch vụ hỗ trợ đang dùng (xem /api/v1/support-services)"}},
    {"target_group_inactive", {"\"{value}\" is not an active target group code (see /api/v1/target-groups)", "\"{value}\" không phải là mã nhóm đối tượng đang dùng (xem /api/v1/target-groups)"}},
    /* dates against stored data (migration 0015) */
    {"left_before_joined", {"is before joined_on", "sớm hơn ngày vào làm (joined_on)"}},
    {"joined_after_left", {"is after the left_on already stored ({left_on})", "muộn hơn ngày nghỉ việc đã lưu ({left_on})"}},
    {"completed_before_joined", {"is before the staff member joined ({joined_on})", "sớm hơn ngày nhân viên vào làm ({joined_on})"}},
    /* a staff import row that moves someone: a transfer (migration 0025, as transfers.c checks one) */
    {"transfer_before_joined", {"the transfer effective {day} is before the staff member joined ({joined_on})", "ngày điều chuyển {day} sớm hơn ngày nhân viên vào làm ({joined_on})"}},
    {"transfer_after_left", {"the transfer effective {day} is after the staff member's last working day ({left_on})", "ngày điều chuyển {day} muộn hơn ngày làm việc cuối cùng của nhân viên ({left_on})"}},
    {"transfer_beyond_horizon",
     {"the transfer effective {day} is more than {days} days ahead (after {last_day}; BDHVS_TRANSFER_HORIZON_DAYS)", "ngày điều chuyển {day} xa hơn {days} ngày kể từ hôm nay (sau {last_day}; BDHVS_TRANSFER_HORIZON_DAYS)"}},
    {"transfer_overlaps",
     {"the transfer effective {day} overlaps the transfer to {unit} effective {from}: transfers are recorded in date "
      "order, so a new one must be dated after {from}", "ngày điều chuyển {day} trùng với lần điều chuyển đến {unit} có hiệu lực từ {from}: các lần điều chuyển được ghi theo thứ tự ngày, nên lần mới phải sau {from}"}},
    {"transfer_unit_not_open", {"{unit} is not open on {day}, the day the transfer takes effect", "{unit} không hoạt động vào ngày {day}, ngày điều chuyển có hiệu lực"}},
    {"transfer_same_unit", {"the staff member already belongs to {unit} on {day}", "nhân viên đã thuộc {unit} vào ngày {day}"}},
    {"transfer_across_subtrees",
     {"moving the staff member to {unit} is a transfer across subtrees (outside the subtree of their unit's parent): "
      "it needs a manager of a unit above both units, or an administrator", "chuyển nhân viên đến {unit} là điều chuyển ra ngoài nhánh (ngoài nhánh của đơn vị cấp trên trực tiếp): cần người quản lý của một đơn vị cấp trên của cả hai đơn vị, hoặc quản trị viên"}},
    /* a key twice in one load */
    {"repeated_code", {"appears more than once in this load (first at row {first})", "xuất hiện nhiều lần trong lần nhập này (lần đầu ở dòng {first})"}},
    {"repeated_staff_course", {"this staff member and course appear more than once (first at row {first})", "nhân viên và khóa học này xuất hiện nhiều lần (lần đầu ở dòng {first})"}},
    {"repeated_staff_skill", {"this staff member and skill appear more than once (first at row {first})", "nhân viên và kỹ năng này xuất hiện nhiều lần (lần đầu ở dòng {first})"}},
    {"repeated_unit_month_service_group",
     {"this unit, month, service and target group appear more than once (first at row {first})", "đơn vị, tháng, dịch vụ và nhóm đối tượng này xuất hiện nhiều lần (lần đầu ở dòng {first})"}},
    {"repeated_unit_month", {"this unit and month appear more than once (first at row {first})", "đơn vị và tháng này xuất hiện nhiều lần (lần đầu ở dòng {first})"}},
    /* warnings of accepted rows */
    {"count_above_served",
     {"{total} people supported with {service} in {month} (all target groups) are more than the {served} patients "
      "served by {unit} that month", "{total} người được hỗ trợ {service} trong tháng {month} (mọi nhóm đối tượng) nhiều hơn {served} lượt bệnh nhân được {unit} phục vụ trong tháng đó"}},
    {"served_below_count", {"is less than the {total} people supported with {service} in {month} (all target groups)", "ít hơn {total} người được hỗ trợ {service} trong tháng {month} (mọi nhóm đối tượng)"}},
    /* the units load (issue 12 §2) */
    {"unit_type", {"\"{value}\" is not a unit type (department_of_health, office, hospital, health_centre, cdc, ward, "
                   "unit_office, commune_station, other)",
                   "\"{value}\" không phải là loại đơn vị (department_of_health, office, hospital, health_centre, cdc, ward, "
                   "unit_office, commune_station, other)"}},
    {"parent_differs", {"differs from the unit's stored parent ({parent}): a load does not move units",
                        "khác với đơn vị cấp trên đã lưu của đơn vị ({parent}): nhập dữ liệu không chuyển đơn vị"}},
    {"parent_cycle", {"the new units' parents lead back to this unit",
                      "đơn vị cấp trên của các đơn vị mới quay vòng trở lại chính đơn vị này"}},
    {"dhis2_id_format",
     {"\"{value}\" is not a DHIS2 UID or code (1 to 50 of A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit)",
      "\"{value}\" không phải là UID hoặc mã DHIS2 (1 đến 50 ký tự A-Z, a-z, 0-9, '_', '.' và '-', bắt đầu bằng chữ cái hoặc chữ số)"}},
    {"repeated_dhis2_id", {"this dhis2_id appears more than once in this load (first at row {first})",
                           "dhis2_id này xuất hiện nhiều lần trong lần nhập này (lần đầu ở dòng {first})"}},
    {"dhis2_id_in_use", {"is already the dhis2_id of unit {unit}", "đã là dhis2_id của đơn vị {unit}"}},
    /* the answer of a bulk load (imports.c) */
    {"import_problems", {"Nothing was written: {count} problems were found; see errors.",
                         "Chưa ghi dữ liệu nào: có {count} lỗi; xem danh sách lỗi (errors)."}},
    {"import_problem_one", {"Nothing was written: 1 problem was found; see errors.",
                            "Chưa ghi dữ liệu nào: có 1 lỗi; xem danh sách lỗi (errors)."}},
    {"import_problems_capped", {"Nothing was written: {count} problems were found; the first {listed} are listed.",
                                "Chưa ghi dữ liệu nào: có {count} lỗi; danh sách dưới đây gồm {listed} lỗi đầu tiên."}},
    {"import_too_many_rows",
     {"Nothing was written: a load may have at most {max} rows; split the file into loads of at most {max} rows.",
      "Chưa ghi dữ liệu nào: mỗi lần nhập tối đa {max} dòng; hãy chia tệp thành nhiều lần nhập, mỗi lần tối đa {max} dòng."}},
    /* after a *_inactive message, when the answer found the list (api_problem_valid_codes) */
    {"valid_codes", {"valid codes: {valid}", "các mã hợp lệ: {valid_vi}"}},
    {"csv_not_utf8",
     {"The file is not UTF-8 text ({where}): it was probably saved as ANSI or Windows-1258. In Excel choose "
      "File > Save As > \"CSV UTF-8 (Comma delimited) (*.csv)\" and send that file.",
      "Tệp không phải là văn bản UTF-8 ({where}): có thể tệp đã được lưu dạng ANSI hoặc Windows-1258. Trong Excel "
      "hãy chọn Tệp > Lưu thành > \"CSV UTF-8 (Comma delimited) (*.csv)\" rồi gửi lại tệp đó."}},
    {"csv_unreadable", {"The CSV cannot be read: {reason}.", "Không đọc được tệp CSV: {reason}."}},
    /* csvin's reasons (src/core/csvin.c), put in csv_unreadable and csv_not_utf8 by imports.c */
    {"csv_nul_byte", {"record {record}, column {column}: contains a NUL byte", "dòng {record}, cột {column}: có chứa byte NUL"}},
    {"csv_cell_not_utf8", {"record {record}, column {column}: is not valid UTF-8",
                           "dòng {record}, cột {column}: không phải văn bản UTF-8 hợp lệ"}},
    {"csv_too_many_cells", {"record {record}: has too many cells", "dòng {record}: có quá nhiều ô"}},
    {"csv_bad_quoting", {"record {record}: malformed quoting (a quote inside an unquoted cell, or text after a closing quote)",
                         "dòng {record}: dấu ngoặc kép đặt sai (dấu ngoặc kép nằm giữa một ô không đặt trong ngoặc kép, "
                         "hoặc có chữ sau dấu ngoặc kép đóng)"}},
    {"csv_quote_open", {"record {record}: a quoted cell is not closed",
                        "dòng {record}: một ô mở dấu ngoặc kép nhưng không đóng lại"}},
    /* the 409 period-locked answer (api_refuse_period_locked_parts, migration 0036) */
    {"period_locked", {"{why}. {how}.", "{why}. {how}."}},
    {"locked_report", {"The report of {unit} for {period} is {status}, so that period's figures of the unit are locked",
                       "Báo cáo của {unit} kỳ {period} {status}, nên số liệu kỳ đó của đơn vị đã bị khóa"}},
    {"locked_this_approved", {"This report is approved, so its period is locked",
                              "Báo cáo này đã được phê duyệt nên kỳ báo cáo đã bị khóa"}},
    {"locked_this_accepted", {"This report is accepted, so its period is locked",
                              "Báo cáo này đã được tiếp nhận nên kỳ báo cáo đã bị khóa"}},
    {"status_approved", {"approved", "đã được phê duyệt"}},
    {"status_accepted", {"accepted", "đã được tiếp nhận"}},
    {"unlocker_admin", {"An administrator", "Quản trị viên"}},
    {"unlocker_parent", {"A manager of {parent} (its approver) or of a unit above it",
                         "Người quản lý của {parent} (đơn vị phê duyệt) hoặc của một đơn vị cấp trên"}},
    {"unlocker_office", {"A manager of {office} (the approver office its obligation names) or of {parent} or a unit above it",
                         "Người quản lý của {office} (phòng phê duyệt được ghi trong nghĩa vụ báo cáo), của {parent} "
                         "hoặc của một đơn vị cấp trên"}},
    {"unlock_how", {"{who} can unlock it with a reason (POST /api/v1/reports/{unit_id}/{period}/unlock), after which this "
                    "write is possible (the reports above it reopen with it)",
                    "{who} có thể mở khóa báo cáo, kèm lý do (POST /api/v1/reports/{unit_id}/{period}/unlock); sau đó "
                    "mới ghi được thay đổi này (các báo cáo cấp trên cũng được mở lại theo)"}},
    {"return_how", {"{who} can return it with a reason (POST /api/v1/reports/{unit_id}/{period}/return), after which its "
                    "values can change and it is submitted again",
                    "{who} có thể trả lại báo cáo, kèm lý do (POST /api/v1/reports/{unit_id}/{period}/return); sau đó "
                    "số liệu của báo cáo mới sửa được và báo cáo được gửi lại"}},
    {"unlock_default", {"A manager of a unit above it can unlock it (POST .../unlock with a reason)",
                        "Người quản lý của một đơn vị cấp trên có thể mở khóa (POST .../unlock kèm lý do)"}},
    /* a report's status and the actions on it, as parts of other messages */
    {"report_draft", {"draft", "nháp"}},
    {"report_submitted", {"submitted", "đã gửi"}},
    {"report_approved", {"approved", "đã phê duyệt"}},
    {"report_accepted", {"accepted", "đã tiếp nhận"}},
    {"report_returned", {"returned", "bị trả lại"}},
    {"report_waived", {"waived", "được miễn"}},
    {"action_submitted", {"submitted", "gửi"}},
    {"action_approved", {"approved", "phê duyệt"}},
    {"action_accepted", {"accepted", "tiếp nhận"}},
    {"action_returned", {"returned", "trả lại"}},
    {"action_waived", {"waived", "miễn"}},
    {"action_unlocked", {"unlocked", "mở khóa"}},
    /* details of answers with values in them */
    {"report_cannot_be", {"A {status} report cannot be {action}.", "Không thể {action} báo cáo đang ở trạng thái {status}."}},
    {"reports_below_pending", {"The reports below it for this period must be approved first; not yet: {list}.",
                               "Các báo cáo cấp dưới của kỳ này phải được phê duyệt trước; còn chưa phê duyệt: {list}."}},
    {"report_no_snapshot", {"This report is {status}, not approved: it has no snapshot to compare with (revisions are "
                            "listed once it is approved).",
                            "Báo cáo này đang ở trạng thái {status}, chưa được phê duyệt: chưa có bản chụp số liệu để so sánh (các lần "
                            "sửa đổi được liệt kê khi báo cáo đã được phê duyệt)."}},
    {"values_too_large", {"would take {bytes} bytes once saved; a report's values take at most {max} bytes (as compact JSON)",
                          "sẽ chiếm {bytes} byte khi lưu; số liệu của một báo cáo tối đa {max} byte (dạng JSON thu gọn)"}},
    {"obligation_ends_already", {"This obligation already ends on {day}; an end can only move earlier (add a new "
                                 "obligation to go on).",
                                 "Nghĩa vụ báo cáo này đã kết thúc vào ngày {day}; ngày kết thúc chỉ có thể dời sớm hơn "
                                 "(hãy thêm một nghĩa vụ mới để tiếp tục)."}},
    {"valid_to_before_start", {"must be on or after {day}, the day before the obligation begins",
                               "phải bằng hoặc sau ngày {day}, ngày trước khi nghĩa vụ báo cáo bắt đầu"}},
    {"series_too_long", {"is {count} periods after from; a series has at most {max}",
                         "cách from {count} kỳ; một chuỗi có tối đa {max} kỳ"}},
    {"changes_cursor_expired",
     {"This cursor is older than what the feed keeps (changes are kept {days} days; a restore from a backup starts the feed "
      "anew): some changes after it are gone. Resync: take a new position with GET /api/v1/changes?after=now, reload the "
      "lists page by page (?sort=id&after=...), then follow the feed from that position.",
      "Con trỏ này cũ hơn khoảng thời gian luồng thay đổi còn lưu (các thay đổi được lưu {days} ngày; khôi phục từ bản sao "
      "lưu sẽ bắt đầu lại luồng): một số thay đổi sau con trỏ đã mất. Đồng bộ lại: lấy vị trí mới bằng GET "
      "/api/v1/changes?after=now, tải lại các danh sách từng trang (?sort=id&after=...), rồi theo dõi luồng từ vị trí đó."}},
    {"state_began", {"must not be before the day the current state began ({day})",
                     "không được sớm hơn ngày trạng thái hiện tại bắt đầu ({day})"}},
    {"deadline_year", {"must be a day of {year}", "phải là một ngày trong năm {year}"}},
    {"group_other_kind", {"cannot be added: the unit is a {other} (a unit is a public service unit or a state management "
                          "body); remove that group first",
                          "không thêm được: đơn vị đang thuộc nhóm {other} (một đơn vị là đơn vị sự nghiệp công lập hoặc "
                          "cơ quan quản lý nhà nước); hãy gỡ nhóm đó trước"}},
    {"dhis2_unmapped", {"is not mapped to DHIS2 (no dhis2_id): its figures are sent as unit {unit}'s; export {unit}",
                        "chưa được ánh xạ sang DHIS2 (không có dhis2_id): số liệu của đơn vị được gửi như của đơn vị "
                        "{unit}; hãy xuất {unit}"}},
    {"dhis2_period_type", {"is {type} but period_type is {want}: one export holds one period type, that of its data set",
                           "là kỳ {type} nhưng period_type là {want}: mỗi lần xuất chỉ gồm một loại kỳ, loại kỳ của tập "
                           "dữ liệu"}},
    {"whole_number_range", {"must be a whole number from {min} to {max}", "phải là số nguyên từ {min} đến {max}"}},
    {"sort_one_of", {"must be one of {list}, optionally with a leading -", "phải là một trong {list}, có thể thêm dấu - ở đầu"}},
    {"method_not_allowed", {"{method} is not allowed here; use {allow}.",
                            "Không dùng được phương thức {method} ở đây; hãy dùng {allow}."}},
    {"body_too_large", {"The body is larger than the limit of {max} bytes.",
                        "Nội dung gửi lên lớn hơn giới hạn {max} byte."}},
    {"query_twice", {"The query parameter \"{name}\" is given more than once.",
                     "Tham số truy vấn \"{name}\" được truyền nhiều lần."}},
    {"json_invalid", {"The body is not valid JSON: {reason} (at byte {at}).",
                      "Nội dung không phải JSON hợp lệ: {reason} (tại byte {at})."}},
    /* closing a unit whose staff still work there (transfers.c) */
    {"staff_still_work_one", {"1 staff member of this unit still works after the closing day: give transfer_to (a unit id) "
                              "to transfer them there on the closing day, or transfer them first; see errors.",
                              "1 nhân viên của đơn vị này vẫn làm việc sau ngày đóng: hãy truyền transfer_to (id của một "
                              "đơn vị) để điều chuyển họ sang đó vào ngày đóng, hoặc điều chuyển họ trước; xem danh sách "
                              "lỗi (errors)."}},
    {"staff_still_work", {"{count} staff members of this unit still work after the closing day: give transfer_to (a unit id) "
                          "to transfer them there on the closing day, or transfer them first; see errors.",
                          "{count} nhân viên của đơn vị này vẫn làm việc sau ngày đóng: hãy truyền transfer_to (id của "
                          "một đơn vị) để điều chuyển họ sang đó vào ngày đóng, hoặc điều chuyển họ trước; xem danh sách "
                          "lỗi (errors)."}},
    {"still_works_after", {"{code} ({name}) still works after {day}", "{code} ({name}) vẫn làm việc sau ngày {day}"}},
    /* a transfer (transfers.c's check; {who}: "" or "Name: " when closing a unit moves several) */
    {"moved_before_joined", {"{who}is before the staff member joined (joined_on {joined_on})",
                             "{who}sớm hơn ngày nhân viên vào làm (joined_on {joined_on})"}},
    {"moved_after_left", {"{who}is after the staff member's last working day (left_on {left_on})",
                          "{who}muộn hơn ngày làm việc cuối cùng của nhân viên (left_on {left_on})"}},
    {"moved_beyond_horizon", {"{who}is more than {days} days ahead (after {last_day}; BDHVS_TRANSFER_HORIZON_DAYS)",
                              "{who}xa hơn {days} ngày kể từ hôm nay (sau {last_day}; BDHVS_TRANSFER_HORIZON_DAYS)"}},
    {"moved_overlaps", {"{who}overlaps the transfer to {unit} effective {from}: transfers are recorded in date order, so a "
                        "new one must be dated after {from}",
                        "{who}trùng với lần điều chuyển đến {unit} có hiệu lực từ {from}: các lần điều chuyển được ghi "
                        "theo thứ tự ngày, nên lần mới phải sau {from}"}},
    {"moved_unit_not_open", {"{who}that unit is not open on {day}", "{who}đơn vị đó không hoạt động vào ngày {day}"}},
    {"moved_same_unit", {"{who}the staff member already belongs to that unit on {day}",
                         "{who}nhân viên đã thuộc đơn vị đó vào ngày {day}"}},
    /* an indicator's definition written through the API (targets.c; indicator_definition_problems, 0041) */
    {"definition_param_unknown", {"is not a parameter of {indicator}'s rule (it takes {allowed})",
                                  "không phải là tham số của quy tắc {indicator} (các tham số: {allowed})"}},
    {"definition_param_fixed", {"must be {value}: {indicator} is computed only this way",
                                "phải là {value}: {indicator} chỉ được tính theo cách này"}},
    {"definition_all_or_any", {"must hold all_of (every skill listed) or any_of (one of them), not both",
                               "phải có all_of (đủ mọi kỹ năng liệt kê) hoặc any_of (một trong số đó), không được có cả hai"}},
    {"definition_skill_list", {"must be a list of one or more distinct skill codes",
                               "phải là danh sách gồm một hoặc nhiều mã kỹ năng khác nhau"}},
    {"definition_rules_list", {"must be a list of rules (it may be empty)",
                               "phải là danh sách các quy tắc (có thể rỗng)"}},
    {"definition_rule_scope", {"must name a job_group, a facility_type or both (the default covers everyone else)",
                               "phải nêu job_group, facility_type hoặc cả hai (quy tắc mặc định áp dụng cho những người còn lại)"}},
    {"definition_rule_twice", {"has the job group and facility type of {other} already",
                               "trùng nhóm chức danh và loại cơ sở với {other}"}},
    {"definition_facility_type", {"\"{value}\" is not a unit type ({types})",
                                  "\"{value}\" không phải là loại đơn vị ({types})"}},
    {"definition_people", {"must be a list of one or more distinct of patients, relatives, people_served",
                           "phải là danh sách gồm một hoặc nhiều giá trị khác nhau trong patients, relatives, people_served"}},
};

/* Fixed English sentences of the answers (titles, details, error messages written without a
 * catalogue code) and their Vietnamese, sorted by the English for bsearch. */
static const phrase PHRASES[] = {
    {"A report is accepted by a manager of a unit above the one that approved it.",
     "Báo cáo được tiếp nhận bởi người quản lý của đơn vị cấp trên đơn vị đã phê duyệt."},
    {"A transfer across subtrees (outside the subtree of the staff member's unit's parent) needs a manager of a unit above both units, or an administrator.",
     "Điều chuyển ra ngoài nhánh (ngoài nhánh của đơn vị cấp trên trực tiếp của nhân viên) cần người quản lý của một đơn vị cấp trên của cả hai đơn vị, hoặc quản trị viên."},
    {"A unit does not approve, return, waive or unlock its own report: a manager of a unit above it, or of the approver office its obligation names, does.",
     "Một đơn vị không tự phê duyệt, trả lại, miễn hoặc mở khóa báo cáo của chính mình: việc đó do người quản lý của một đơn vị cấp trên, hoặc của phòng phê duyệt được ghi trong nghĩa vụ báo cáo, thực hiện."},
    {"A unit's targets are set from above it: a manager sets the targets of the units below their own (an administrator, any unit's).",
     "Chỉ tiêu của một đơn vị do cấp trên đặt: người quản lý đặt chỉ tiêu cho các đơn vị cấp dưới đơn vị của mình (quản trị viên đặt cho mọi đơn vị)."},
    {"API tokens are created from a signed-in session, not with another API token.",
     "Mã truy cập API được tạo từ phiên đã đăng nhập, không tạo bằng một mã truy cập API khác."},
    {"Accepting takes no fields.",
     "Tiếp nhận không cần trường dữ liệu nào."},
    {"Another course already has this code.",
     "Một khóa học khác đã dùng mã này."},
    {"Another staff member already has this code.",
     "Một nhân viên khác đã dùng mã này."},
    {"Another unit already has this code.",
     "Một đơn vị khác đã dùng mã này."},
    {"Another unit is already mapped to this DHIS2 org unit (dhis2_id).",
     "Một đơn vị khác đã được ánh xạ tới đơn vị tổ chức DHIS2 này (dhis2_id)."},
    {"Bad request",
     "Yêu cầu không hợp lệ"},
    {"Completions of this course exist; it cannot be deleted.",
     "Khóa học này đã có người hoàn thành; không thể xóa."},
    {"Conflict",
     "Xung đột dữ liệu"},
    {"Could not encode the answer.",
     "Không thể mã hóa câu trả lời."},
    {"Could not hash the password; try again.",
     "Không thể xử lý mật khẩu; vui lòng thử lại."},
    {"Could not sign the token.",
     "Không thể ký mã truy cập."},
    {"Could not write the audit record.",
     "Không thể ghi nhật ký kiểm tra."},
    {"Forbidden",
     "Không có quyền"},
    {"Gone",
     "Không còn tồn tại"},
    {"Internal error",
     "Lỗi hệ thống"},
    {"Its unit's parent reports to no one for this period: approval is final.",
     "Đơn vị cấp trên của đơn vị này không phải báo cáo cho ai trong kỳ này: phê duyệt là bước cuối cùng."},
    {"Method not allowed",
     "Phương thức không được phép"},
    {"Not acceptable",
     "Không thể đáp ứng định dạng yêu cầu"},
    {"Not found",
     "Không tìm thấy"},
    {"Nothing was written: the answer could not be built. Try again.",
     "Chưa ghi dữ liệu nào: không thể tạo câu trả lời. Vui lòng thử lại."},
    {"Nothing was written: the load has problems, but their list could not be built. Try again.",
     "Chưa ghi dữ liệu nào: tệp nhập có lỗi nhưng không thể lập danh sách lỗi. Vui lòng thử lại."},
    {"Only an admin lists another user's API tokens.",
     "Chỉ quản trị viên được xem mã truy cập API của người dùng khác."},
    {"Only an admin sets a user's password; change your own with POST /api/v1/me/password.",
     "Chỉ quản trị viên được đặt mật khẩu cho người dùng khác; đổi mật khẩu của bạn bằng POST /api/v1/me/password."},
    {"Out of memory while writing CSV.",
     "Hết bộ nhớ khi ghi tệp CSV."},
    {"Out of memory while writing the workbook.",
     "Hết bộ nhớ khi ghi tệp Excel."},
    {"Out of memory.",
     "Hết bộ nhớ."},
    {"Out of memory; try again.",
     "Hết bộ nhớ; vui lòng thử lại."},
    {"Payload too large",
     "Dữ liệu gửi lên quá lớn"},
    {"Period locked",
     "Kỳ báo cáo đã khóa"},
    {"Precondition failed",
     "Điều kiện tiên quyết không thỏa"},
    {"Send the body as application/json (UTF-8).",
     "Hãy gửi nội dung dạng application/json (UTF-8)."},
    {"Send the rows as text/csv or as a JSON array (application/json).",
     "Hãy gửi các dòng dữ liệu dạng text/csv hoặc mảng JSON (application/json)."},
    {"Service unavailable",
     "Dịch vụ tạm thời không khả dụng"},
    {"Sign in first: send Authorization: Bearer <token>.",
     "Hãy đăng nhập trước: gửi Authorization: Bearer <token>."},
    {"Some fields are invalid; see errors.",
     "Một số trường không hợp lệ; xem danh sách lỗi (errors)."},
    {"Some query parameters are invalid; see errors.",
     "Một số tham số truy vấn không hợp lệ; xem danh sách lỗi (errors)."},
    {"Something went wrong on our side; the request id identifies it in the log.",
     "Hệ thống gặp lỗi; mã yêu cầu (request_id) giúp tra cứu lỗi trong nhật ký."},
    {"Submitting takes no fields.",
     "Gửi báo cáo không cần trường dữ liệu nào."},
    {"The CSV is empty: it needs a header row with the column names.",
     "Tệp CSV trống: cần có dòng tiêu đề ghi tên các cột."},
    {"The Content-Length header is not a number.",
     "Tiêu đề Content-Length không phải là số."},
    {"The Idempotency-Key header is invalid; see errors.",
     "Tiêu đề Idempotency-Key không hợp lệ; xem danh sách lỗi (errors)."},
    {"The body must be a JSON array.",
     "Nội dung phải là một mảng JSON."},
    {"The body must be a JSON object.",
     "Nội dung phải là một đối tượng JSON."},
    {"The change could not be committed; nothing was written. Try again.",
     "Không thể lưu thay đổi; chưa ghi dữ liệu nào. Vui lòng thử lại."},
    {"The closing date is invalid; see errors.",
     "Ngày đóng không hợp lệ; xem danh sách lỗi (errors)."},
    {"The data breaks a rule of the database.",
     "Dữ liệu vi phạm một quy tắc của cơ sở dữ liệu."},
    {"The database is unavailable or busy; try again shortly.",
     "Cơ sở dữ liệu không khả dụng hoặc đang bận; vui lòng thử lại sau ít phút."},
    {"The database is unavailable; try again shortly.",
     "Cơ sở dữ liệu không khả dụng; vui lòng thử lại sau ít phút."},
    {"The database is unreachable.",
     "Không kết nối được cơ sở dữ liệu."},
    {"The database refused the load; try again.",
     "Cơ sở dữ liệu từ chối lần nhập; vui lòng thử lại."},
    {"The dates are inconsistent.",
     "Các ngày không nhất quán."},
    {"The handler gave no answer.",
     "Bộ xử lý không trả lời."},
    {"The load could not be staged; nothing was written. Try again.",
     "Không thể chuẩn bị dữ liệu nhập; chưa ghi dữ liệu nào. Vui lòng thử lại."},
    {"The move would make a cycle.",
     "Việc di chuyển sẽ tạo vòng lặp trong cây đơn vị."},
    {"The period is not of the data set's period type.",
     "Kỳ báo cáo không thuộc loại kỳ của tập dữ liệu."},
    {"The query string is not valid percent-encoded UTF-8.",
     "Chuỗi truy vấn không phải UTF-8 mã hóa phần trăm hợp lệ."},
    {"The read could not be recorded in the audit trail, so nothing is sent. Try again.",
     "Không thể ghi lần đọc vào nhật ký kiểm tra nên không gửi dữ liệu. Vui lòng thử lại."},
    {"The refresh cookie is not used from this origin.",
     "Cookie làm mới không được dùng từ nguồn (origin) này."},
    {"The refresh cookie is used only with an Origin header (from a browser).",
     "Cookie làm mới chỉ được dùng kèm tiêu đề Origin (từ trình duyệt)."},
    {"The refresh token is invalid, expired or revoked.",
     "Mã làm mới không hợp lệ, đã hết hạn hoặc đã bị thu hồi."},
    {"The refresh token was already used; every session of this sign-in is revoked.",
     "Mã làm mới đã được dùng rồi; mọi phiên của lần đăng nhập này đã bị thu hồi."},
    {"The request body could not be kept; try again shortly.",
     "Không thể lưu nội dung yêu cầu; vui lòng thử lại sau ít phút."},
    {"The request could not be recorded under its Idempotency-Key; nothing was written. Try again.",
     "Không thể ghi yêu cầu theo Idempotency-Key; chưa ghi dữ liệu nào. Vui lòng thử lại."},
    {"The request has both Content-Length and Transfer-Encoding.",
     "Yêu cầu có cả Content-Length và Transfer-Encoding."},
    {"The request has more than one Content-Length header.",
     "Yêu cầu có nhiều hơn một tiêu đề Content-Length."},
    {"The resource changed since you read it (If-Match did not match); read it again.",
     "Dữ liệu đã thay đổi từ lần bạn đọc (If-Match không khớp); hãy đọc lại."},
    {"The secret could not be sealed; try again.",
     "Không thể mã hóa khóa bí mật; vui lòng thử lại."},
    {"The server is busy checking passwords; try again shortly.",
     "Máy chủ đang bận kiểm tra mật khẩu; vui lòng thử lại sau ít phút."},
    {"The server is busy; try again shortly.",
     "Máy chủ đang bận; vui lòng thử lại sau ít phút."},
    {"The staff cannot be transferred there; see errors.",
     "Không thể điều chuyển nhân viên đến đó; xem danh sách lỗi (errors)."},
    {"The token is invalid, expired or revoked.",
     "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi."},
    {"The unit is not in this group.",
     "Đơn vị không thuộc nhóm này."},
    {"The username or password is wrong.",
     "Tên đăng nhập hoặc mật khẩu không đúng."},
    {"There are no definitions.",
     "Chưa có định nghĩa nào."},
    {"There is no such API token.",
     "Không có mã truy cập API này."},
    {"There is no such attestation.",
     "Không có chứng nhận này."},
    {"There is no such code; codes are 2-40 of a-z, 0-9 and _.",
     "Không có mã này; mã gồm 2-40 ký tự a-z, 0-9 và _."},
    {"There is no such completion.",
     "Không có kết quả hoàn thành khóa học này."},
    {"There is no such course.",
     "Không có khóa học này."},
    {"There is no such digital service (see /api/v1/digital-services).",
     "Không có dịch vụ số này (xem /api/v1/digital-services)."},
    {"There is no such indicator.",
     "Không có chỉ tiêu này."},
    {"There is no such patients-served figure.",
     "Không có số liệu lượt bệnh nhân được phục vụ này."},
    {"There is no such report.",
     "Không có báo cáo này."},
    {"There is no such report: the period must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026.",
     "Không có báo cáo này: kỳ báo cáo phải có dạng 2026-06, 202606, 2026Q2, 2026S1 hoặc 2026."},
    {"There is no such reporting obligation.",
     "Không có nghĩa vụ báo cáo này."},
    {"There is no such resource.",
     "Không có tài nguyên này."},
    {"There is no such schedule.",
     "Không có lịch báo cáo này."},
    {"There is no such staff member.",
     "Không có nhân viên này."},
    {"There is no such support count.",
     "Không có số liệu hỗ trợ này."},
    {"There is no such unit.",
     "Không có đơn vị này."},
    {"There is no such user.",
     "Không có người dùng này."},
    {"There is no such webhook.",
     "Không có webhook này."},
    {"There is no such year: use 2000 to 2100.",
     "Không có năm này: hãy dùng năm từ 2000 đến 2100."},
    {"There is nothing at this path.",
     "Không có gì ở đường dẫn này."},
    {"There is nothing to count yet.",
     "Chưa có dữ liệu để tính."},
    {"There is nothing to export yet.",
     "Chưa có dữ liệu để xuất."},
    {"This Idempotency-Key belongs to another load.",
     "Idempotency-Key này thuộc về một lần nhập khác."},
    {"This Idempotency-Key belongs to another request.",
     "Idempotency-Key này thuộc về một yêu cầu khác."},
    {"This account no longer exists or is disabled.",
     "Tài khoản này không còn tồn tại hoặc đã bị vô hiệu hóa."},
    {"This conflicts with an existing record.",
     "Dữ liệu này trùng với một bản ghi đã có."},
    {"This export would send part of a DHIS2 org unit's figures.",
     "Lần xuất này sẽ chỉ gửi một phần số liệu của một đơn vị tổ chức DHIS2."},
    {"This indicator has no definition in force from this year.",
     "Chỉ tiêu này không có định nghĩa có hiệu lực từ năm này."},
    {"This is the indicator's only definition: replace it (PUT) instead of removing it.",
     "Đây là định nghĩa duy nhất của chỉ tiêu: hãy thay thế nó (PUT) thay vì xóa."},
    {"This obligation is set by a unit above yours.",
     "Nghĩa vụ báo cáo này do đơn vị cấp trên của bạn đặt."},
    {"This period has not started yet.",
     "Kỳ báo cáo này chưa bắt đầu."},
    {"This report is accepted already.",
     "Báo cáo này đã được tiếp nhận rồi."},
    {"This report is submitted or approved; it can change only after it is returned.",
     "Báo cáo này đã gửi hoặc đã được phê duyệt; chỉ sửa được sau khi bị trả lại."},
    {"This report was unlocked or returned meanwhile; try again.",
     "Báo cáo này vừa được mở khóa hoặc trả lại; vui lòng thử lại."},
    {"This rule is set by a unit above yours.",
     "Quy tắc này do đơn vị cấp trên của bạn đặt."},
    {"This sign-in has reached its maximum age; sign in again.",
     "Phiên đăng nhập này đã hết thời hạn tối đa; hãy đăng nhập lại."},
    {"This staff member already has a completion of this course.",
     "Nhân viên này đã có kết quả hoàn thành khóa học này."},
    {"This staff member already has an attestation of this skill.",
     "Nhân viên này đã có chứng nhận cho kỹ năng này."},
    {"This unit already has a rule for that period type.",
     "Đơn vị này đã có quy tắc cho loại kỳ đó."},
    {"This unit has no state for this service yet (If-Match did not match).",
     "Đơn vị này chưa có trạng thái cho dịch vụ này (If-Match không khớp)."},
    {"This unit has no target of its own for this indicator and year.",
     "Đơn vị này chưa có chỉ tiêu riêng cho chỉ số và năm này."},
    {"This unit still has open units under it; close or move them first.",
     "Đơn vị này vẫn còn đơn vị trực thuộc đang hoạt động; hãy đóng hoặc chuyển chúng trước."},
    {"This unit was not open during the period (see its opened_on and closed_on).",
     "Đơn vị này không hoạt động trong kỳ báo cáo (xem opened_on và closed_on của đơn vị)."},
    {"This username is taken.",
     "Tên đăng nhập này đã có người dùng."},
    {"Too many failed sign-ins; wait before trying again.",
     "Đăng nhập sai quá nhiều lần; hãy chờ một lúc rồi thử lại."},
    {"Too many query parameters.",
     "Quá nhiều tham số truy vấn."},
    {"Too many requests",
     "Quá nhiều yêu cầu"},
    {"Unauthorized",
     "Chưa đăng nhập"},
    {"Unsupported media type",
     "Định dạng dữ liệu không được hỗ trợ"},
    {"Validation failed",
     "Dữ liệu không hợp lệ"},
    {"You may not close the unit your account belongs to.",
     "Bạn không được đóng đơn vị mà tài khoản của bạn thuộc về."},
    {"You may not disable your own account or change your own role.",
     "Bạn không được vô hiệu hóa tài khoản của chính mình hoặc tự đổi vai trò."},
    {"You may not disable your own account.",
     "Bạn không được vô hiệu hóa tài khoản của chính mình."},
    {"You may not grant a role above your own.",
     "Bạn không được cấp vai trò cao hơn vai trò của mình."},
    {"You may not move the unit your account belongs to.",
     "Bạn không được di chuyển đơn vị mà tài khoản của bạn thuộc về."},
    {"You may not move your own account to another unit.",
     "Bạn không được chuyển tài khoản của chính mình sang đơn vị khác."},
    {"Your role may not do this.",
     "Vai trò của bạn không được phép làm việc này."},
    {"a unit cannot move under itself or its own descendants",
     "không thể chuyển một đơn vị vào dưới chính nó hoặc các đơn vị trực thuộc của nó"},
    {"cannot be combined with after",
     "không dùng chung được với after"},
    {"cannot be combined with missing (use as_of, under, limit, offset)",
     "không dùng chung được với missing (dùng as_of, under, limit, offset)"},
    {"due_day must be a whole number from 1 to 31",
     "due_day phải là số nguyên từ 1 đến 31"},
    {"due_month must be a whole number from 1 to 24 (1 = the period's first month)",
     "due_month phải là số nguyên từ 1 đến 24 (1 = tháng đầu của kỳ)"},
    {"has a malformed host",
     "có tên máy chủ sai định dạng"},
    {"has an unclosed [ in its host",
     "có dấu [ chưa đóng trong tên máy chủ"},
    {"has no due day: give at least one of month, quarter, half_year, year with its due_day",
     "chưa có ngày hạn: hãy cho ít nhất một trong month, quarter, half_year, year kèm due_day"},
    {"has no due_day: say on which day (1-31) its reports are due",
     "chưa có due_day: hãy cho biết báo cáo đến hạn vào ngày nào (1-31)"},
    {"has not started yet",
     "chưa bắt đầu"},
    {"is already in use",
     "đã được sử dụng"},
    {"is an inactive unit group",
     "là nhóm đơn vị không còn sử dụng"},
    {"is closed",
     "đã đóng"},
    {"is given only when the status is deployed",
     "chỉ được ghi khi trạng thái là deployed (đã triển khai)"},
    {"is no longer an active digital service",
     "không còn là dịch vụ số đang dùng"},
    {"is not a cursor of this feed (use the next_cursor of an answer, or now)",
     "không phải là con trỏ của luồng thay đổi này (dùng next_cursor của một câu trả lời, hoặc now)"},
    {"is not a cursor of this list (use the next_cursor of a page)",
     "không phải là con trỏ của danh sách này (dùng next_cursor của một trang)"},
    {"is not a cursor this feed issued (use the next_cursor of an answer, or now)",
     "không phải là con trỏ do luồng thay đổi này cấp (dùng next_cursor của một câu trả lời, hoặc now)"},
    {"is not a direct child of the parent",
     "không phải là đơn vị trực thuộc trực tiếp của đơn vị cấp trên"},
    {"is not a facility (hospital, health centre, CDC or commune station)",
     "không phải là cơ sở y tế (bệnh viện, trung tâm y tế, CDC hoặc trạm y tế xã)"},
    {"is not a field of the report form (see /api/v1/report-fields)",
     "không phải là trường của mẫu báo cáo (xem /api/v1/report-fields)"},
    {"is not a parameter of this request",
     "không phải là tham số của yêu cầu này"},
    {"is not a period type: use month, quarter, half_year or year",
     "không phải là loại kỳ: dùng month, quarter, half_year hoặc year"},
    {"is not a role",
     "không phải là vai trò"},
    {"is not a unit type",
     "không phải là loại đơn vị"},
    {"is not enabled on this server (BDHVS_REFRESH_COOKIE)",
     "chưa được bật trên máy chủ này (BDHVS_REFRESH_COOKIE)"},
    {"is only for target child",
     "chỉ dùng khi target là child"},
    {"is only for target unit_type",
     "chỉ dùng khi target là unit_type"},
    {"is required",
     "là bắt buộc"},
    {"is required (16 to 256 characters; share it with the receiver)",
     "là bắt buộc (từ 16 đến 256 ký tự; chia sẻ với bên nhận)"},
    {"is required (YYYY-MM-DD)",
     "là bắt buộc (YYYY-MM-DD)"},
    {"is required (or parent_code)",
     "là bắt buộc (hoặc parent_code)"},
    {"is required (or unit_code)",
     "là bắt buộc (hoặc unit_code)"},
    {"is required for target child (or child_code)",
     "là bắt buộc khi target là child (hoặc child_code)"},
    {"is required for target unit_type",
     "là bắt buộc khi target là unit_type"},
    {"is required for this role",
     "là bắt buộc với vai trò này"},
    {"is required when the status is deployed",
     "là bắt buộc khi trạng thái là deployed (đã triển khai)"},
    {"is required when the status is not_applicable: the reason the service does not apply",
     "là bắt buộc khi trạng thái là not_applicable (không áp dụng): lý do dịch vụ không áp dụng"},
    {"is required: at least one of month, quarter, half_year, year with its due_day",
     "là bắt buộc: ít nhất một trong month, quarter, half_year, year kèm due_day"},
    {"is required: child, unit_type or all_children",
     "là bắt buộc: child, unit_type hoặc all_children"},
    {"is required: only an administrator creates a top-level unit",
     "là bắt buộc: chỉ quản trị viên được tạo đơn vị cấp cao nhất"},
    {"is required: the first period, like 2026-01, 2026Q1, 2026S1 or 2026",
     "là bắt buộc: kỳ đầu tiên, dạng 2026-01, 2026Q1, 2026S1 hoặc 2026"},
    {"is required: the last day in force (YYYY-MM-DD)",
     "là bắt buộc: ngày hiệu lực cuối cùng (YYYY-MM-DD)"},
    {"is required: the last period, of the same type as from",
     "là bắt buộc: kỳ cuối cùng, cùng loại với from"},
    {"is required: why it is unlocked",
     "là bắt buộc: lý do mở khóa"},
    {"is required: why the report is excused",
     "là bắt buộc: lý do báo cáo được miễn"},
    {"is taken only with missing (CT1, CT2 or CT5)",
     "chỉ dùng cùng missing (CT1, CT2 hoặc CT5)"},
    {"is too long",
     "quá dài"},
    {"is wrong",
     "không đúng"},
    {"its host does not resolve",
     "không phân giải được tên máy chủ của URL"},
    {"its host is not one the server may call (BDHVS_WEBHOOK_HOSTS)",
     "máy chủ của URL không nằm trong danh sách máy chủ được phép gọi (BDHVS_WEBHOOK_HOSTS)"},
    {"must be 1 to 100 characters",
     "phải dài từ 1 đến 100 ký tự"},
    {"must be 1 to 200 characters",
     "phải dài từ 1 đến 200 ký tự"},
    {"must be 3-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit",
     "phải gồm 3-64 ký tự a-z, 0-9, '.', '_', '-', bắt đầu bằng chữ cái hoặc chữ số"},
    {"must be CT1, CT2 or CT5 (the indicators that count staff)",
     "phải là CT1, CT2 hoặc CT5 (các chỉ tiêu đếm nhân viên)"},
    {"must be CT1, CT2, CT3, CT4 or CT5",
     "phải là CT1, CT2, CT3, CT4 hoặc CT5"},
    {"must be Monthly, Quarterly, SixMonthly or Yearly",
     "phải là Monthly, Quarterly, SixMonthly hoặc Yearly"},
    {"must be a DHIS2 UID or code: 1 to 50 of A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit",
     "phải là UID hoặc mã DHIS2: 1 đến 50 ký tự A-Z, a-z, 0-9, '_', '.' và '-', bắt đầu bằng chữ cái hoặc chữ số"},
    {"must be a comma-separated list of units, staff, courses, completions, attestations, facility-services, support-counts, patients-served, schedules, reporting-obligations, reports, unit-moves, unit-merges",
     "phải là danh sách phân cách bằng dấu phẩy gồm units, staff, courses, completions, attestations, facility-services, support-counts, patients-served, schedules, reporting-obligations, reports, unit-moves, unit-merges"},
    {"must be a date written YYYY-MM-DD",
     "phải là ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)"},
    {"must be a list (at most 200) of {\"title\": 1-500 characters, \"summary\": at most 2000}",
     "phải là danh sách (tối đa 200 mục) dạng {\"title\": 1-500 ký tự, \"summary\": tối đa 2000 ký tự}"},
    {"must be a list of 1 to 7 event names",
     "phải là danh sách từ 1 đến 7 tên sự kiện"},
    {"must be a percentage from 0 to 100",
     "phải là tỷ lệ phần trăm từ 0 đến 100"},
    {"must be a period of the same type as from",
     "phải là kỳ cùng loại với from"},
    {"must be a period: 2026-06, 202606, 2026Q2, 2026S1 or 2026",
     "phải là kỳ báo cáo: 2026-06, 202606, 2026Q2, 2026S1 hoặc 2026"},
    {"must be a positive whole number",
     "phải là số nguyên dương"},
    {"must be a text of at most 5000 characters",
     "phải là văn bản dài tối đa 5000 ký tự"},
    {"must be a unit group (see /api/v1/unit-groups)",
     "phải là một nhóm đơn vị (xem /api/v1/unit-groups)"},
    {"must be a whole number from 0 to 1000000000",
     "phải là số nguyên từ 0 đến 1000000000"},
    {"must be a whole number from 1 to 24 (1 = the period's first month)",
     "phải là số nguyên từ 1 đến 24 (1 = tháng đầu của kỳ)"},
    {"must be a whole number from 1 to 31",
     "phải là số nguyên từ 1 đến 31"},
    {"must be a year from 2000 to 2100",
     "phải là năm từ 2000 đến 2100"},
    {"must be activity_report (the six-section activity report)",
     "phải là activity_report (báo cáo hoạt động sáu phần)"},
    {"must be admin, manager, reporter, viewer or integration",
     "phải là admin, manager, reporter, viewer hoặc integration"},
    {"must be after today",
     "phải sau ngày hôm nay"},
    {"must be an RFC 3339 timestamp such as 2026-06-30T00:00:00Z (a real date and time, an offset of at most 15:59)",
     "phải là mốc thời gian RFC 3339, ví dụ 2026-06-30T00:00:00Z (ngày giờ có thật, độ lệch múi giờ tối đa 15:59)"},
    {"must be an http:// or https:// URL",
     "phải là URL http:// hoặc https://"},
    {"must be an indicator code (see /api/v1/indicators)",
     "phải là mã chỉ tiêu (xem /api/v1/indicators)"},
    {"must be an object of field codes and values",
     "phải là một đối tượng gồm mã trường và giá trị"},
    {"must be an object such as {\"month\": {\"due_day\": 15}}",
     "phải là một đối tượng, ví dụ {\"month\": {\"due_day\": 15}}"},
    {"must be an object {\"due_month\", \"due_day\"}",
     "phải là một đối tượng {\"due_month\", \"due_day\"}"},
    {"must be another unit than the one closing",
     "phải là đơn vị khác với đơn vị đang đóng"},
    {"must be approval or acceptance",
     "phải là approval hoặc acceptance"},
    {"must be at most a year from today",
     "phải trong vòng một năm kể từ hôm nay"},
    {"must be child, unit_type or all_children",
     "phải là child, unit_type hoặc all_children"},
    {"must be current or approved",
     "phải là current hoặc approved"},
    {"must be dhis2 or units",
     "phải là dhis2 hoặc units"},
    {"must be draft, submitted, approved, accepted, returned or waived",
     "phải là draft, submitted, approved, accepted, returned hoặc waived"},
    {"must be hospital, health_centre, cdc or commune_station",
     "phải là hospital, health_centre, cdc hoặc commune_station"},
    {"must be id with after (pages follow the id order), or left out",
     "phải là id khi dùng after (các trang theo thứ tự id), hoặc bỏ trống"},
    {"must be json, csv or xlsx",
     "phải là json, csv hoặc xlsx"},
    {"must be left out for an exempt obligation (its children send nothing)",
     "phải bỏ trống với nghĩa vụ được miễn (các đơn vị trực thuộc không gửi gì)"},
    {"must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026",
     "phải có dạng 2026-06, 202606, 2026Q2, 2026S1 hoặc 2026"},
    {"must be merge or replace",
     "phải là merge hoặc replace"},
    {"must be month, quarter, half_year or year",
     "phải là month, quarter, half_year hoặc year"},
    {"must be on or after valid_from",
     "phải bằng hoặc sau valid_from"},
    {"must be one of department_of_health, office, hospital, health_centre, cdc, ward, unit_office, commune_station, other",
     "phải là một trong department_of_health, office, hospital, health_centre, cdc, ward, unit_office, commune_station, other"},
    {"must be pending, delivered or parked",
     "phải là pending, delivered hoặc parked"},
    {"must be planned, piloting or deployed",
     "phải là planned, piloting hoặc deployed"},
    {"must be planned, piloting, deployed or not_applicable",
     "phải là planned, piloting, deployed hoặc not_applicable"},
    {"must be the parent or one of its offices (type office or unit_office)",
     "phải là đơn vị cấp trên hoặc một phòng của đơn vị đó (loại office hoặc unit_office)"},
    {"must be true or false",
     "phải là true hoặc false"},
    {"must differ from the current password",
     "phải khác mật khẩu hiện tại"},
    {"must have a port from 1 to 65535",
     "phải có cổng từ 1 đến 65535"},
    {"must hold only report.submitted, report.returned, report.approved, report.overdue, import.completed, unit.moved and unit.merged",
     "chỉ được gồm report.submitted, report.returned, report.approved, report.overdue, import.completed, unit.moved và unit.merged"},
    {"must name a host",
     "phải có tên máy chủ"},
    {"must not be after the day the unit closed",
     "không được sau ngày đơn vị đóng"},
    {"must not be before deployed_on",
     "không được sớm hơn deployed_on"},
    {"must not be before from",
     "không được sớm hơn from"},
    {"must not be before the unit opened",
     "không được sớm hơn ngày đơn vị bắt đầu hoạt động"},
    {"must not be in the future",
     "không được là ngày trong tương lai"},
    {"must not have a fragment (#...)",
     "không được có phần fragment (#...)"},
    {"must not hold a user name or password",
     "không được chứa tên người dùng hoặc mật khẩu"},
    {"must not hold spaces, control or non-ASCII characters (percent-encode them)",
     "không được chứa dấu cách, ký tự điều khiển hoặc ký tự ngoài ASCII (hãy mã hóa phần trăm)"},
    {"only an administrator makes a unit top-level",
     "chỉ quản trị viên được đặt đơn vị làm cấp cao nhất"},
    {"only an administrator maps a unit to DHIS2",
     "chỉ quản trị viên được ánh xạ đơn vị sang DHIS2"},
    {"parent_id and parent_code disagree",
     "parent_id và parent_code không khớp nhau"},
    {"takes only due_month and due_day",
     "chỉ nhận due_month và due_day"},
    {"unit_id and unit_code disagree",
     "unit_id và unit_code không khớp nhau"},
    {"was already used with a different body",
     "đã được dùng với một nội dung yêu cầu khác"},
};

static const problem_msg *find(const char *code)
{
    for (size_t i = 0; i < sizeof CATALOGUE / sizeof CATALOGUE[0]; i++)
        if (strcmp(CATALOGUE[i].code, code) == 0) return &CATALOGUE[i];
    return NULL;
}

int problem_known(const char *code)
{
    return find(code) != NULL;
}

/* Appends the text of params' value name to out at *len: a string as it is, a whole number in
 * decimal, an object {"_problem": code, "_params": {...}} rendered from the catalogue in lang (a
 * part of a message that has its own words in each language, such as a report's status). */
static void put_param(problem_lang lang, const json_t *params, const char *name, size_t nlen, char *out, size_t cap,
                      size_t *len)
{
    char key[64], num[32];
    if (nlen >= sizeof key) nlen = sizeof key - 1;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    const json_t *v = params ? json_object_get(params, key) : NULL;
    const char *s = "";
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
    } else if (json_is_string(json_object_get(v, "_problem")) && *len < cap - 1) {
        problem_render(lang, json_string_value(json_object_get(v, "_problem")), json_object_get(v, "_params"),
                       out + *len, cap - *len);
        *len += strlen(out + *len);
        return;
    }
    size_t n = strlen(s);
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
}

void problem_render(problem_lang lang, const char *code, const json_t *params, char *out, size_t cap)
{
    if (cap == 0) return;
    /* A list of the valid codes follows the message: "...; valid codes: doctor (Doctor), ..." */
    if (json_is_string(json_object_get(params, "valid")) && strcmp(code, "valid_codes") != 0 && cap > 2) {
        json_t *only = json_deep_copy(params);
        json_object_del(only, "valid");
        problem_render(lang, code, only, out, cap);
        json_decref(only);
        size_t n = strlen(out);
        if (n + 2 < cap) {
            memcpy(out + n, "; ", 2);
            problem_render(lang, "valid_codes", params, out + n + 2, cap - n - 2);
        }
        return;
    }
    const problem_msg *m = find(code);
    const char *t = m ? m->text[lang] : code;
    if (t == NULL) t = m->text[PROBLEM_EN];
    size_t len = 0;
    for (const char *p = t; *p && len < cap - 1;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (end != NULL) {
            put_param(lang, params, p + 1, (size_t)(end - p - 1), out, cap, &len);
            p = end + 1;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    out[utf8_prefix(out, len)] = '\0'; /* a value cut at cap keeps whole characters */
}

void verrs_problem(verrs *v, const char *field, const char *code, const json_t *params)
{
    char msg[VERRS_MESSAGE_MAX + 1];
    problem_render(PROBLEM_EN, code, params, msg, sizeof msg);
    int before = (int)json_array_size(v->list);
    verrs_add(v, field, "%s", msg);
    /* The code and its values ride along to the answer, which renders the message again in the
     * request's language and drops them (problem_localize_errors). */
    json_t *item = (int)json_array_size(v->list) > before ? json_array_get(v->list, (size_t)before) : NULL;
    if (item != NULL) {
        json_object_set_new(item, "_problem", json_string(code));
        if (params != NULL) json_object_set_new(item, "_params", json_deep_copy(params));
    }
}

void verrs_problem_n2(verrs *v, const char *field, const char *code, const char *a, long long na, const char *b,
                      long long nb)
{
    json_t *params = json_pack("{s:I, s:I}", a, (json_int_t)na, b, (json_int_t)nb);
    if (params == NULL) v->lost++; /* fail closed: the request is refused all the same */
    verrs_problem(v, field, code, params);
    json_decref(params);
}

static int phrase_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const phrase *)elem)->en);
}

const char *problem_phrase(problem_lang lang, const char *en)
{
    if (lang == PROBLEM_EN || en == NULL) return en;
    const phrase *p = bsearch(en, PHRASES, sizeof PHRASES / sizeof PHRASES[0], sizeof PHRASES[0], phrase_cmp);
    return p ? p->vi : en;
}

int problem_phrases_sorted(void)
{
    for (size_t i = 1; i < sizeof PHRASES / sizeof PHRASES[0]; i++)
        if (strcmp(PHRASES[i - 1].en, PHRASES[i].en) >= 0) return 0;
    return 1;
}

json_t *problem_part(const char *code, json_t *params)
{
    json_t *o = json_pack("{s:s}", "_problem", code);
    if (o != NULL && params != NULL) json_object_set(o, "_params", params);
    json_decref(params);
    return o;
}

const char *problem_lang_tag(problem_lang lang)
{
    return lang == PROBLEM_VI ? "vi" : "en";
}

void problem_localize_errors(problem_lang lang, json_t *errors)
{
    size_t i;
    json_t *item;
    json_array_foreach(errors, i, item) {
        json_t *code = json_object_get(item, "_problem");
        if (lang != PROBLEM_EN) {
            const char *msg = json_string_value(json_object_get(item, "message"));
            if (json_is_string(code)) {
                char out[VERRS_MESSAGE_MAX + 1];
                problem_render(lang, json_string_value(code), json_object_get(item, "_params"), out, sizeof out);
                json_object_set_new(item, "message", json_string(out));
            } else if (msg != NULL) {
                const char *t = problem_phrase(lang, msg);
                if (t != msg) json_object_set_new(item, "message", json_string(t));
            }
        }
        json_object_del(item, "_problem");
        json_object_del(item, "_params");
    }
}

int problem_catalogue_complete(void)
{
    for (size_t i = 0; i < sizeof CATALOGUE / sizeof CATALOGUE[0]; i++)
        for (int l = 0; l < PROBLEM_LANGS; l++)
            if (CATALOGUE[i].text[l] == NULL || CATALOGUE[i].text[l][0] == '\0') return 0;
    return 1;
}
