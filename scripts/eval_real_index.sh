#!/usr/bin/env bash
# The store the real-document question sets are scored on: the three samples and every
# real document a question set is about (eval/real_questions/README.md), in $1.
set -euo pipefail
data=${1:-data/eval-real}
R=eval/corpus/real
docs=(
  qd-844-ttg-2026-ke-hoach-bhyt.pdf nq-109-cp-2026-chuong-trinh-hanh-dong-ktxh-2026-2030.pdf
  bc-snv-lam-dong-2025-chi-so-par-sipas-papi-pci.pdf kh-ubnd-lam-dong-cchc-2026-2030.docx
  kh-ubnd-lam-dong-2026-phong-chong-ma-tuy.doc qd-59-btnmt-2024-chuong-trinh-hanh-dong.txt
  qd-435-ubnd-kon-tum-2020-chuong-trinh-hanh-dong-quan-he-lao-dong.txt nd-74-2025-cp-sua-doi-nd-70-bhyt-quan-doi.txt
  bc-ubnd-lam-dong-cchc-quy-1-2026.docx qd-982-ttg-2026-de-an-doanh-nghiep-cong-nghe-so.pdf
  tt-16-2022-bldtbxh-chuong-trinh-dao-tao-danh-gia-ky-nang-nghe.pdf nq-99-2025-hdnd-quang-ninh-noi-dung-muc-chi-bau-cu.html
  qd-254-ubnd-son-la-2023-ke-hoach-bao-ve-bi-mat-nha-nuoc.md qd-31-2011-ubnd-gia-lai-quy-dinh-mien-giam-tien-su-dung-dat.md
  qd-12-2012-ubnd-tuyen-quang-quy-dinh-tang-qua-nguoi-co-cong.md kh-252-bcdqg1237-2013-tim-kiem-quy-tap-hai-cot-liet-si.md
)
if [ "${WITH_TEST2:-0}" = 1 ]; then
  docs+=(
    nd-167-2026-cp-quy-dinh-chi-tiet-luat-dan-do.pdf hd-36-vptw-2018-the-thuc-van-ban-dang.docx
    qd-49-2012-ubnd-tphcm-quy-che-kinh-phi-nguoi-co-cong.md qd-986-ubnd-tuyen-quang-2024-ke-hoach-thoi-gian-nam-hoc.md
    nq-105-cp-2026-chuong-trinh-hanh-dong-ket-luan-210.txt qd-773-ttg-2018-ke-hoach-chi-thi-14-nguoi-co-cong.md
    qd-62-2011-ttg-che-do-doi-tuong-bao-ve-to-quoc-sau-1975.md qd-3745-ubnd-tay-ninh-2021-ke-hoach-su-dung-dat-chau-thanh.txt
  )
fi
if [ "${WITH_DEV2:-0}" = 1 ]; then
  # dev-2 (batches g and h, eval/real_questions/README.md)
  docs+=(
    nq-100-cp-2026-chuong-trinh-hanh-dong-chi-thi-49-phi-chinh-phu.txt qd-1056-ct-tuyen-quang-2010-muc-tro-giup-bao-tro-xa-hoi.txt
    qd-1351-ubnd-quang-ngai-2022-cong-bo-tthc-nguoi-co-cong.md qd-169-bldtbxh-2025-danh-muc-vbqppl-het-hieu-luc.txt
    qd-1766-ubnd-binh-thuan-2020-cong-bo-tthc-tu-phap.md qd-2284-ubnd-lam-dong-2025-cong-nhan-xa-phuong-mien-nui.md
    qd-378-ubnd-ha-giang-2022-cong-bo-tthc-xang-dau.md qd-6154-ubnd-ha-noi-2011-dieu-duong-luan-phien-nguoi-co-cong.md
  )
fi
if [ "${WITH_TEST3:-0}" = 1 ]; then
  # test-3 (batches i and j, eval/real_questions/README.md)
  docs+=(
    kh-199-ubnd-hung-yen-2026-phong-chong-ma-tuy.txt nd-161-2026-cp-muc-luong-co-so-tien-thuong.txt
    qd-16-2010-ubnd-lai-chau-boi-thuong-ho-tro-tai-dinh-cu.md qd-40-2011-ttg-che-do-thanh-nien-xung-phong.md
    nq-122-cp-2026-phien-hop-chinh-phu-thang-4.txt nq-116-cp-2026-ke-hoach-ket-luan-213-phong-chong-thien-tai.txt
    qd-798-ttg-2026-kien-toan-ban-chi-dao-cai-cach-tien-luong.txt nq-126-cp-2026-chuyen-giao-lang-van-hoa-du-lich-ha-noi.txt
  )
fi
if [ "${WITH_TEST4:-0}" = 1 ]; then
  # test-4 (batches m and n, eval/real_questions/README.md)
  docs+=(
    nd-55-2023-cp-sua-doi-nd-75-muc-huong-tro-cap-nguoi-co-cong.md nd-87-2013-cp-che-do-gia-dinh-ha-si-quan-chien-si-cong-an.md
    qd-22-2013-ttg-ho-tro-nguoi-co-cong-ve-nha-o.md qd-3210-ubnd-tphcm-2014-ke-hoach-ho-tro-nha-o-nguoi-co-cong.md
    qd-64-2024-ubnd-ha-noi-dinh-muc-dao-tao-so-cap-37-nghe.md qd-69-2024-ubnd-ha-noi-muc-ho-tro-dao-tao-so-cap.md
    nq-12-2025-hdnd-ha-noi-sua-doi-nghi-quyet-tai-san-cong.md qd-01-2025-ubnd-ha-noi-don-gia-xay-dung-boi-thuong.md
  )
fi
if [ "${WITH_TEST5:-0}" = 1 ]; then
  # test-5 (batches o and p, eval/real_questions/README.md)
  docs+=(
    nq-124-2017-hdnd-dong-thap-chuong-trinh-phat-trien-do-thi.md nq-53-2017-hdnd-hoa-binh-muc-chi-cong-tac-phi-hoi-nghi.md
    nq-38-2017-hdnd-tra-vinh-kinh-phi-xay-dung-vbqppl.md nq-08-2017-hdnd-bac-giang-muc-chi-dieu-tra-thong-ke.md
    nq-33-2025-hdnd-hue-sua-doi-nq-09-von-giam-ngheo.md nd-162-2026-cp-dieu-chinh-luong-huu-tro-cap-bhxh.txt
    nq-60-tw-2025-hoi-nghi-trung-uong-11-sap-xep-don-vi-hanh-chinh.md nq-89-2025-ubtvqh15-muc-chi-to-chuc-hoat-dong-bhxh-bhtn.txt
  )
fi
if [ "${WITH_TEST6:-0}" = 1 ]; then
  # test-6 (batches q and r, eval/real_questions/README.md)
  docs+=(
    nq-87-2017-hdnd-ha-giang-de-an-quy-tu-dan-cu.md nq-95-2017-hdnd-ha-giang-chat-van-ky-hop-thu-nam.md
    nq-110-2017-hdnd-dong-thap-dieu-chinh-von-dau-tu-phat-trien.md nq-97-cp-2026-sua-doi-chuong-trinh-hanh-dong-nq-66-tw.txt
    tt-04-2001-bxd-ho-tro-nguoi-hoat-dong-cach-mang-cai-thien-nha-o.md qd-142-2008-ttg-che-do-quan-nhan-chong-my-duoi-20-nam.md
  )
fi
paths=(samples/*.txt)
for d in "${docs[@]}"; do paths+=("$R/$d"); done
ASSISTANT_DATA_DIR=$data .venv/bin/python -m assistant ingest "${paths[@]}" 2>/dev/null
