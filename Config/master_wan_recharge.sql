-- Target table of the reference job (Config/wan-recharge.json): 万师傅充值单.
-- utf8mb4 so emoji and every CJK character survive; amounts exact; times in the job's zone.
CREATE TABLE IF NOT EXISTS `master_wan_recharge` (
  `bfn_id`                   VARCHAR(64)   NOT NULL COMMENT '审批实例ID',
  `department`               VARCHAR(255)  NULL COMMENT '部门',
  `month`                    VARCHAR(32)   NULL COMMENT '月份',
  `purpose_details`          TEXT          NULL COMMENT '用途明细',
  `corresponding_subjects`   VARCHAR(255)  NULL COMMENT '对应科目',
  `recharge_account`         VARCHAR(255)  NULL COMMENT '充值账户',
  `expenses_explanation`     TEXT          NULL COMMENT '费用说明',
  `recharge_amount`          DECIMAL(18,2) NULL COMMENT '充值金额',
  `payment_method`           VARCHAR(255)  NULL COMMENT '付款方式',
  `other_payment_account`    VARCHAR(255)  NULL COMMENT '其他付款账户',
  `payee_name`               VARCHAR(255)  NULL COMMENT '收款人姓名',
  `payment_account`          VARCHAR(255)  NULL COMMENT '收款账号',
  `payment_bank`             VARCHAR(255)  NULL COMMENT '开户银行',
  `financial_payment_method` VARCHAR(255)  NULL COMMENT '财务付款方式',
  `actual_payment_amount`    DECIMAL(18,2) NULL COMMENT '实际付款金额',
  `create_time`              DATETIME      NULL COMMENT '创建时间',
  `finish_time`              DATETIME      NULL COMMENT '完成时间',
  `originator_userid`        VARCHAR(64)   NULL COMMENT '发起人',
  `originator_dept_id`       VARCHAR(64)   NULL COMMENT '发起部门ID',
  `status`                   VARCHAR(16)   NULL COMMENT '审批状态',
  `result`                   VARCHAR(16)   NULL COMMENT '审批结果',
  `business_id`              VARCHAR(64)   NULL COMMENT '审批单编号',
  `originator_dept_name`     VARCHAR(255)  NULL COMMENT '发起部门',
  `biz_action`               VARCHAR(16)   NULL COMMENT '业务动作',
  PRIMARY KEY (`bfn_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='万师傅充值单 (dingsync)';
